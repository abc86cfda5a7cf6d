"""The dashboard\x27s pages (not named `pages/`: that would switch Streamlit to its older multipage mode)."""
