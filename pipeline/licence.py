"""The licence of NHS Ledger's data, which every edition states: the release's data package, its README, the
Datasette edition."""

# CC-BY-4.0 rather than ODC-BY-1.0: both require only attribution, but CC BY 4.0 also licenses the
# sui generis database right (which UK law gives this compilation), is the licence most reusers already
# know, and is the one the UK Open Government Licence v3 is designed to be compatible with, so NHS Ledger
# mixes freely with official NHS data. It covers the compilation and the figures extracted, not the
# articles: see LICENCE_NOTE.
LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
LICENCE_NOTE = (
    "The licence covers the NHS Ledger compilation: the tables, the extracted figures and the organisations "
    "register. The articles belong to their publishers: this release carries each article's URL, title and "
    "content hash, and for each figure only the short sentence that states it, quoted so that the figure "
    "can be checked; the publishers' rights in those sentences are theirs, not licensed here."
)
