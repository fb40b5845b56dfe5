"""The read-only open-data API at ``/api/v1`` (NLGov REST API Design Rules).

``resources`` holds the blueprint and its thin views, ``schemas`` every serializer (marshmallow
schemas, which are also the source of the OpenAPI document), ``spec`` builds that document
with apispec, and ``http`` the shared HTTP mechanics: problem responses, paging links and
conditional (ETag) answers.
"""
