"""Accessibility checks with axe-core, vendored (tests/browser/vendor/), so nothing downloads at test time.

    from tests.browser.axe import axe_violations, axe_report

    violations = axe_violations(page)
    assert not violations, axe_report(violations, url=page.url)

or the `axe` fixture of tests/browser/conftest.py: `axe.assert_no_violations(page)`.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

# Every rule axe runs by default: WCAG 2.0-2.2 A and AA, and its best practices (landmarks, heading order,
# one main, one h1), which are what a person with a screen reader feels first.
_RUN = """
async ({context, options}) => {
  const results = await window.axe.run(context ?? document, {...options, resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    help_url: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.map(String), summary: n.failureSummary || ""})),
  }));
}
"""


@dataclass(frozen=True)
class AxeNode:
    target: tuple[str, ...]
    summary: str

    @property
    def selector(self) -> str:
        return " >>> ".join(self.target)  # more than one part only when the node is in an iframe


@dataclass(frozen=True)
class AxeViolation:
    id: str
    impact: str | None
    help: str
    help_url: str
    nodes: tuple[AxeNode, ...]

    @property
    def selectors(self) -> list[str]:
        return [node.selector for node in self.nodes]


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_inject(page: Page) -> None:
    """Load axe-core into `page` once per document.

    Evaluated through the DevTools protocol rather than `page.add_script_tag`: the portal's CSP
    (`script-src 'self'`) blocks an inline script tag, and turning the CSP off (`bypass_csp`) would let
    blocked inline styles apply, so axe would check a page nobody sees.
    """
    if page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        return
    page.evaluate(_axe_source())
    if not page.evaluate("typeof window.axe === 'object'"):
        raise RuntimeError(f"axe-core did not load into {page.url}")


def axe_violations(
    page: Page, *, context: str | dict | None = None, disable: tuple[str, ...] = ()
) -> list[AxeViolation]:
    """Run every default axe rule on the page as it is now and return what fails.

    `context` narrows the check (a CSS selector or axe's {include, exclude}); `disable` turns rules off by id,
    which a test should do only with a comment saying why.
    """
    axe_inject(page)
    options = {"rules": {rule: {"enabled": False} for rule in disable}} if disable else {}
    raw = page.evaluate(_RUN, {"context": context, "options": options})
    return [
        AxeViolation(
            id=v["id"],
            impact=v["impact"],
            help=v["help"],
            help_url=v["help_url"],
            nodes=tuple(AxeNode(target=tuple(n["target"]), summary=n["summary"]) for n in v["nodes"]),
        )
        for v in raw
    ]


def axe_report(violations: list[AxeViolation], *, url: str = "", max_nodes: int = 5) -> str:
    """A readable list: one line per rule (id, impact, help), then the selectors of the nodes that fail it."""
    if not violations:
        return "no axe violations"
    lines = [f"{len(violations)} axe violation{'s' if len(violations) != 1 else ''}" + (f" on {url}" if url else "")]
    for v in violations:
        lines.append(f"- {v.id} [{v.impact or 'unknown'}]: {v.help} ({v.help_url})")
        for node in v.nodes[:max_nodes]:
            lines.append(f"    {node.selector}")
            detail = " ".join(node.summary.split())
            if detail:
                lines.append(f"      {detail[:300]}")
        if len(v.nodes) > max_nodes:
            lines.append(f"    ... and {len(v.nodes) - max_nodes} more")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page, *, context: str | dict | None = None, disable: tuple[str, ...] = ()) -> None:
    """Fail with the readable report when axe finds anything on `page`."""
    violations = axe_violations(page, context=context, disable=disable)
    assert not violations, axe_report(violations, url=page.url)
