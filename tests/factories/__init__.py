"""Builders shared by the attack tests: portal-shaped issuers, RDF-equivalent rewrites, fresh-process verification.

``portal``   an issuer that builds credentials with the portal's own ``issuing.build_unsigned`` and signs them
             with the engine the portal uses, plus its signed status lists, did:web document and a fetcher.
``rewrites`` term IRIs read from the pinned contexts (``jsonld.expand``), RDF-equivalent rewrites of a key path
             and the facts a verification result shows and decides on.
``fresh``    verification of documents in processes that have verified nothing before.
"""
