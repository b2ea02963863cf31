"""The run report and the model card: one HTML page per run, one card per pushed model.

``render.py`` holds the pure logic (plots with matplotlib, pages with jinja2, slice
suppression); ``executor.py`` gathers the run's artifacts; ``component.py`` is the TFX spec.
"""
