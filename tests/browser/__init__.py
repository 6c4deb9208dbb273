"""Browser tests: JupyterLab in a real Chromium drives every notebook panel."""
