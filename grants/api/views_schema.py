"""The OpenAPI schema, generated and rendered once per language for the process's life."""

import copy

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_urlconf
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

# Generating the schema walks every view and serializer of the API (about a second of CPU) and
# rendering it as YAML takes as long again, for an answer that changes only with the code (it is
# public, the same for every user) and with the language of its descriptions. Both are kept per
# process, so a deployment serves its new code's schema.
_schemas = {}
_rendered = {}


@receiver(setting_changed)
def _forget_schemas(**kwargs):
    # A changed setting (the tests' override_settings) may change the API or its descriptions.
    _schemas.clear()
    _rendered.clear()


class _SchemaResponse(Response):
    """Rendered once per schema, media type and renderer; its data is copied only for a caller that
    reads it (the tests), so that what the caller does with it never reaches the next request."""

    def __init__(self, key, **kwargs):
        self.schema_key = key
        super().__init__(**kwargs)

    @property
    def data(self):
        if self._data is None:
            self._data = copy.deepcopy(_schemas[self.schema_key])
        return self._data

    @data.setter
    def data(self, value):
        self._data = value

    @property
    def rendered_content(self):
        key = (self.schema_key, type(self.accepted_renderer), self.accepted_media_type)
        if key not in _rendered:
            content = super().rendered_content
            _rendered[key] = (content, self["Content-Type"])
        content, self["Content-Type"] = _rendered[key]
        return content


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request):
        if not self.serve_public:
            # A schema filtered by the user's permissions (SERVE_PUBLIC off) is not one per process.
            return super()._get_schema_response(request)
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language(), get_urlconf(), self.serve_public)
        if key not in _schemas:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            _schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        return _SchemaResponse(
            key,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
