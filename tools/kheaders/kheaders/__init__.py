"""bccc's kernel header set generator (see ../README.md)."""
