"""Panels: controls in Python, a live view in the browser, one scene per setting (01-07).

:class:`~course_utils.panels.explorer.Explorer` ties ipywidgets controls to a ``build(**values)``
that returns a scene; :class:`~course_utils.panels.view.SceneView` (an anywidget, with its ES module
``view.js`` beside it) draws the scene and handles hover and Play in the browser.
"""
