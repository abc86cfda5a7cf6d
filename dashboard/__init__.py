"""The Streamlit dashboard: a shell over `pipelines` (run it with `breakeven serve`)."""
