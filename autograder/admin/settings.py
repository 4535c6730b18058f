"""The course's public settings (course.yml): read, checked, and turned into the links students follow."""
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from ..course import ROOT
from ..errors import UsageError

FILE = ROOT / "course.yml"
PLACEHOLDER = "example"  # course.yml ships with values that contain it
# (field, key path in course.yml, URL schemes allowed; None: free text)
KEYS = [("name", "course.name", None), ("term", "course.term", None),
        ("repository", "repository.url", ("https", "http", "file")), ("branch", "repository.branch", None),
        ("book_url", "book_url", ("https", "http")), ("hub_url", "hub_url", ("https", "http"))]


@dataclass(frozen=True)
class Settings:
    name: str
    term: str
    repository: str   # the public student repository (a file URL only in tests)
    branch: str
    book_url: str
    hub_url: str

    def placeholders(self):
        """Keys (as course.yml spells them) whose values are still the shipped placeholders."""
        return [key for field, key, _ in KEYS if PLACEHOLDER in getattr(self, field).lower()]

    def require_real(self):
        if self.placeholders():
            raise UsageError(f"course.yml: set {', '.join(self.placeholders())} before publishing "
                             "(still placeholders)")

    def hidden_buttons(self):
        """The book's buttons left out because they would open a placeholder: the repository's (also opened by
        every launch button) and the JupyterHub's."""
        if "repository.url" in self.placeholders():
            return ["repository", "Colab", "Binder", "JupyterHub"]
        return ["JupyterHub"] if "hub_url" in self.placeholders() else []

    @property
    def title(self):
        return f"{self.name} ({self.term})"

    @property
    def install_spec(self):
        """What the notebooks' install cell gives pip: cnntools from the public repository, at its branch."""
        return f"git+{self.repository}@{self.branch}"

    @property
    def repo_name(self):
        return urlsplit(self.repository).path.rstrip("/").split("/")[-1].removesuffix(".git")

    def hub_link(self, path):
        """nbgitpuller's link: the hub clones (or updates) the repository into ~/<repo_name>, then opens `path`."""
        query = urlencode({"repo": self.repository, "urlpath": f"lab/tree/{self.repo_name}/{path}",
                           "branch": self.branch}, safe="/")  # as sphinx-book-theme's button: the same link
        return f"{self.hub_url.rstrip('/')}/hub/user-redirect/git-pull?{query}"

    def colab_link(self, path):
        """Colab opens notebooks of public GitHub repositories only; None for another host."""
        parts = urlsplit(self.repository)
        if parts.netloc != "github.com":
            return None
        return f"https://colab.research.google.com/github{parts.path.removesuffix('.git')}/blob/{self.branch}/{path}"


def load(path=None):
    """Settings from course.yml (or `path`); a missing, empty or malformed value is a UsageError naming its key."""
    import yaml

    path = Path(path or FILE)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"cannot read the course settings {path}: {str(err).splitlines()[0]}") from None
    values = {}
    for field, key, schemes in KEYS:
        value = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{path.name}: {key} must be a non-empty string")
        value = value.strip()
        if schemes and (urlsplit(value).scheme not in schemes or not re.match(r"^\S+$", value)):
            raise UsageError(f"{path.name}: {key} must be a {'/'.join(schemes)} URL, got {value!r}")
        values[field] = value
    if not re.fullmatch(r"[\w./-]+", values["branch"]):
        raise UsageError(f"{path.name}: repository.branch is not a branch name: {values['branch']!r}")
    return Settings(**values)

