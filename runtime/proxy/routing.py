"""From a client's model name and request class to an ordered list of provider candidates."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from apiswitch.runtime.proxy.classify import request_classes
from apiswitch.runtime.proxy.config import Config, Provider, Target


@dataclass(frozen=True)
class Candidate:
    provider: Provider
    model: str  # the model name the upstream receives


@dataclass(frozen=True)
class Decision:
    route: str | None  # the route pattern that matched, if a model route decided
    rule: str | None  # the class rule (or "default") that decided, if one did
    candidates: tuple[Candidate, ...]


class NoRoute(Exception):
    """No route, class rule or default covers this model."""


_NO_ROUTE = object()
_UNSEEN = object()
_MAX_REMEMBERED = 4096


class Router:
    def __init__(self, config: Config) -> None:
        self.config = config
        # Model name -> the first route whose pattern matches it: clients ask for a handful of names, and
        # matching every pattern again for each request cost more than the rest of routing.
        self._route_of: dict[str, Any] = {}
        # (route, rule, model) -> its Decision, immutable and the same every time: built once.
        self._decisions: dict[tuple[str | None, str | None, str], Decision] = {}
        # Model name -> its Decision if it names a provider itself (`provider:model`), else None.
        self._direct_of: dict[str, Any] = {}

    def decide(self, model: str, body: dict[str, Any], fmt: str, body_size: int) -> Decision:
        direct = self._direct_of.get(model, _UNSEEN)
        if direct is _UNSEEN:
            if len(self._direct_of) >= _MAX_REMEMBERED:
                self._direct_of.clear()
            direct = self._direct_of[model] = self._direct(model)
        if direct is not None:
            return direct
        rules = self.config.rules
        if rules.by_class:
            classes = request_classes(body, fmt, body_size, rules)
            for name, targets in rules.by_class.items():
                if name in classes:
                    return self._decision(None, name, targets, model)
        route = self._route_of.get(model)
        if route is None:
            route = next((r for r in self.config.routes if fnmatchcase(model, r.pattern)), _NO_ROUTE)
            if len(self._route_of) >= _MAX_REMEMBERED:
                self._route_of.clear()
            self._route_of[model] = route
        if route is not _NO_ROUTE:
            return self._decision(route.pattern, None, route.targets, model)
        if rules.default:
            return self._decision(None, "default", rules.default, model)
        if not self.config.providers:
            raise NoRoute("no provider is configured: add a [providers.NAME] table and a [routes] entry to the "
                          "config file (`apiswitch serve` prints an example when it starts)")
        raise NoRoute(f"no route for model {model!r}: add a matching entry under [routes] or a "
                      "[rules] default")

    def _direct(self, model: str) -> Decision | None:
        """`provider:model` or `provider,model` naming a configured provider: the client chose (Claude Code's
        `/model deepseek:deepseek-reasoner`), and neither routes nor rules stand in its way. A name whose part
        before the separator is no provider (`qwen3:32b`) is routed as any other."""
        cut = min((at for at in (model.find(":"), model.find(",")) if at > 0), default=-1)
        if cut < 0 or cut == len(model) - 1:
            return None
        provider = model[:cut]
        if provider not in self.config.providers:
            return None
        return self._decision(None, "direct", (Target(provider, model[cut + 1:]),), model)

    def _decision(self, route: str | None, rule: str | None, targets: tuple[Target, ...], model: str) -> Decision:
        key = (route, rule, model)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= _MAX_REMEMBERED:
                self._decisions.clear()
            candidates = tuple(Candidate(self.config.providers[t.provider], t.model or model) for t in targets)
            decision = self._decisions[key] = Decision(route, rule, candidates)
        return decision

    def visible_models(self) -> list[str]:
        """Model names a client can ask for, each one that routes: literal route names, a provider's listed
        models by their own name where a route or the default takes them, and every one as `provider:model`."""
        seen: dict[str, None] = {}
        for route in self.config.routes:
            if not any(ch in route.pattern for ch in "*?["):
                seen[route.pattern] = None
        routable = bool(self.config.rules.default)
        for provider in self.config.providers.values():
            for name in provider.models:
                if routable or any(fnmatchcase(name, route.pattern) for route in self.config.routes):
                    seen[name] = None
        for provider in self.config.providers.values():
            for name in provider.models:
                seen[f"{provider.name}:{name}"] = None
        return list(seen)
