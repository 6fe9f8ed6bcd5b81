"""The warehouse folder: where every table, sidecar, batch state and run log lives (`layout`), and the Parquet
storage of the tables (`store`). Every stage reads and writes through these modules, never by building paths
of its own."""

