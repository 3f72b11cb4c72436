class SecurityHeadersMiddleware:
    """Content-Security-Policy and permissions policy on every response.

    Everything the pages load is served by the app itself (no CDN), so `'self'` is the whole policy;
    no inline scripts or styles are used anywhere.
    """

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        return response
