"""Redis and RQ: the connection, the drain-wake protocol, telemetry counters, the embedded Valkey."""
