"""Using a pushed model outside the pipeline: batch scoring of CSV files, request helpers."""
