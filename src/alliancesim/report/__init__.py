"""Tables, plots and reports of ensemble summaries."""
