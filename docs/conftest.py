"""pytest runs the examples of the documentation pages (``--doctest-glob='*.rst'``).

The Sphinx configuration, the extension and the tutorials are not test modules: the tutorials
run when sphinx-gallery builds the site.
"""

collect_ignore_glob = ["conf.py", "_ext/*", "tutorials/*", "demos/*", "_build/*", "api/*"]
