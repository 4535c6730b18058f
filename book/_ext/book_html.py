"""Three fixes to the book's HTML, loaded as a local Sphinx extension (_config.yml: sphinx.local_extensions).

1. Sphinx 7.4 registers a script twice when an extension adds an inline script after the HTML builder has started
   (sphinx-thebe and sphinx-togglebutton do): every page then declares ``const THEBE_JS_URL`` twice, and the
   browser stops with "Identifier 'THEBE_JS_URL' has already been declared". Each page's script list is
   de-duplicated.
2. The chapters are MyST markdown notebooks (book/*.md). Colab cannot open a .md file, and Binder or a JupyterHub
   would show it as plain text, so the launch menu (Colab, Binder, JupyterHub) is kept for the assignment
   notebooks (.ipynb) only.
3. docutils gives each bibliography entry the role doc-biblioentry, which ARIA has deprecated, inside a
   role="list": assistive technology (and axe-core, as a critical violation) then finds a list without items. The
   entries become list items.
"""
from pathlib import Path


def _unique_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _launch_buttons_for_notebooks_only(app, pagename, templatename, context, doctree):
    if pagename not in app.env.found_docs or Path(app.env.doc2path(pagename)).suffix == ".ipynb":
        return
    buttons = context.get("header_buttons")
    if buttons:
        context["header_buttons"] = [b for b in buttons if b.get("label") != "launch-buttons"]


def _citations_as_list_items(app, pagename, templatename, context, doctree):
    if 'role="doc-biblioentry"' in context.get("body", ""):
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    # After the theme has filled in its buttons and the extensions their scripts (default priority 500).
    app.connect("html-page-context", _unique_scripts, priority=900)
    app.connect("html-page-context", _launch_buttons_for_notebooks_only, priority=900)
    app.connect("html-page-context", _citations_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
