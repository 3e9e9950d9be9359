"""The receive side: webhook bodies stored once, then claimed, processed, replayed or swept."""
