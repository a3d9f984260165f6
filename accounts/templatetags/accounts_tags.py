from django import template

from accounts.devices import device_label

register = template.Library()


@register.filter(name="device_label")
def device_label_filter(user_agent: str) -> str:
    """{{ session.user_agent|device_label }}: "Firefox on Linux"."""
    return device_label(user_agent)
