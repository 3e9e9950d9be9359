"""Running Sadakat: doctor, supervisor, status, backfill, store maintenance, shops, exports, figures."""
