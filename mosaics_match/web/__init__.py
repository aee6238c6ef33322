"""HTTP routes beside the UI: the JSON API, its OpenAPI document, rate limits and trusted proxies."""
