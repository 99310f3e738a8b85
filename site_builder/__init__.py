"""The static site: every power, department, law and code list as bilingual pages.

``site_builder.build.build(root, out)`` is the entry point (``powers build`` calls it). The
package imports the ``registry`` core and nothing of ``search/`` or ``api/``.
"""
