"""Several demo nodes acting as one: shared database, shared pub/sub, outages."""
