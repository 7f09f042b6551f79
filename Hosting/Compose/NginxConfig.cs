using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>A path prefix nginx proxies to a service's port.</summary>
internal sealed record NginxRoute(string PathPrefix, string Service, int Port);

/// <summary>
/// nginx.conf as nested blocks and directives (no text templates). Each routed service is an <c>upstream</c> with
/// keep-alive connections; nginx resolves its name (Docker's DNS: every replica of a scaled service) when it starts
/// and when it reloads, which the entry's start script does when the addresses change (<see cref="NginxStartScript"/>).
/// A prefix other than <c>/</c> is stripped before proxying. One worker per CPU the container is given. nginx sets
/// the forwarded headers itself (a client's own X-Forwarded-* never pass). It logs only the requests it did not answer
/// with 2xx/3xx: the services behind it log every request. The https variant redirects http to
/// https (keeping a non-default public port), sets HSTS and caches TLS sessions.
/// </summary>
internal static class NginxConfig
{
    /// <summary>Where the https variant reads the deployer's certificate and key inside the container.</summary>
    public const string CertificatePath = "/etc/nginx/tls/certificate.pem";
    public const string CertificateKeyPath = "/etc/nginx/tls/key.pem";

    /// <summary>Written by the start script from HTTPS_PORT: <c>set $https_port_suffix ":8443";</c> (empty for 443).</summary>
    public const string HttpsPortPath = "/run/nginx-entry/https-port.conf";

    /// <summary>The access log: the official image links it to the container's stdout.</summary>
    public const string AccessLogPath = "/var/log/nginx/access.log";

    /// <summary>
    /// How long an idle upstream connection is kept: below the servers' own idle limit (gunicorn's <c>keepalive</c>,
    /// 2 s by default, also uvicorn's under gunicorn), so nginx never sends a request on a connection the server is closing.
    /// </summary>
    public const int UpstreamIdleSeconds = 1;

    private sealed record Block(string Name, List<object> Body)
    {
        public Block(string name, params object[] body) : this(name, body.ToList()) { }
    }

    private sealed record Directive(params string[] Words);

    public static string Render(IReadOnlyList<NginxRoute> routes, IngressOptions options, bool https)
    {
        var health = new Block("location = /nginx-health", new Directive("access_log", "off"), new Directive("return", "200", "\"ok\\n\""));
        var ordered = routes.OrderByDescending(r => r.PathPrefix.Length).ThenBy(r => r.PathPrefix, StringComparer.Ordinal).ToList();
        var locations = new List<object>();
        foreach (var limit in options.RateLimits)
        {
            var route = ordered.FirstOrDefault(r => limit.Path.StartsWith(r.PathPrefix, StringComparison.Ordinal))
                ?? throw new PublishException($"Ingress rate limit on {limit.Path}: no ingress route serves it; add WithIngress for a prefix of it, or remove the limit.");
            locations.Add(Location($"location = {limit.Path}", route, new Directive("limit_req", $"zone={Zone(limit)}", $"burst={limit.Burst}", "nodelay")));
        }
        locations.AddRange(ordered.Select(route => Location($"location {route.PathPrefix}", route)));

        var servers = new List<object>();
        if (https)
        {
            servers.Add(new Block("server", new Directive("listen", "80"), new Directive("include", HttpsPortPath), health,
                new Block("location /", new Directive("return", "301", "https://$host$https_port_suffix$request_uri"))));
            servers.Add(new Block("server", (List<object>)[
                new Directive("listen", "443", "ssl"),
                new Directive("ssl_certificate", CertificatePath),
                new Directive("ssl_certificate_key", CertificateKeyPath),
                new Directive("ssl_protocols", "TLSv1.2", "TLSv1.3"),
                new Directive("ssl_session_cache", "shared:TLS:10m"),
                new Directive("ssl_session_timeout", "1h"),
                new Directive("add_header", "Strict-Transport-Security", "\"max-age=31536000; includeSubDomains\"", "always"),
                health, .. locations]));
        }
        else
        {
            servers.Add(new Block("server", (List<object>)[new Directive("listen", "80"), health, .. locations]));
        }
        var http = new Block("http", (List<object>)[
            .. routes.Select(r => (r.Service, r.Port)).Distinct().Select(u => new Block($"upstream {u.Service}",
                new Directive("server", $"{u.Service}:{u.Port}"), new Directive("keepalive", "32"), new Directive("keepalive_timeout", UpstreamIdleSeconds + "s"))),
            // The services log every request (each replica's own log); the entry logs only what they may not see or
            // what it answered itself (4xx, 5xx, 499): a line per request through Docker's json-file driver cost the
            // log path (containerd-shim, dockerd) as much CPU as nginx's own proxying of the cached list.
            new Block("map $status $entry_log", new Directive("~^[23]", "0"), new Directive("default", "1")),
            new Directive("access_log", AccessLogPath, "combined", "if=$entry_log"),
            .. options.RateLimits.Select(l => new Directive("limit_req_zone", "$binary_remote_addr", $"zone={Zone(l)}:10m", $"rate={l.PerMinute}r/m")),
            new Directive("limit_req_status", "429"),
            // The host and port the client asked for (a request without Host: the server's name).
            new Block("map $http_host $forwarded_host", new Directive("\"\"", "$host"), new Directive("default", "$http_host")),
            new Directive("proxy_http_version", "1.1"),
            // An address of a replica that is gone (scaled down, re-created) stays in the upstream until the next
            // reload: connecting to it must fail fast so nginx tries the next server instead of holding the request.
            new Directive("proxy_connect_timeout", "2s"),
            new Directive("proxy_set_header", "Connection", "\"\""), // keep-alive to the upstreams
            new Directive("proxy_set_header", "Host", "$host"),
            new Directive("proxy_set_header", "X-Real-IP", "$remote_addr"),
            new Directive("proxy_set_header", "X-Forwarded-For", "$proxy_add_x_forwarded_for"),
            new Directive("proxy_set_header", "X-Forwarded-Proto", "$scheme"),
            new Directive("proxy_set_header", "X-Forwarded-Host", "$forwarded_host"),
            new Directive("client_max_body_size", "10m"),
            .. servers]);

        var text = new StringBuilder($"# {(https ? "https" : "Plain http")} entry, generated by `aspire publish` (AppHost/Hosting/Compose). Do not edit: re-publish.\n");
        Write(text, new Directive("worker_processes", WorkerProcesses(options.Limits).ToString(CultureInfo.InvariantCulture)), 0);
        Write(text, new Block("events", new Directive("worker_connections", "1024")), 0);
        Write(text, http, 0);
        return text.ToString();
    }

    /// <summary>One worker per CPU the container may use (<c>auto</c> would start one per host core, each starved by the quota).</summary>
    public static int WorkerProcesses(ResourceLimitsAnnotation? limits) => limits is null ? 1 : Math.Max(1, (int)Math.Ceiling(limits.Cpus));

    private static Block Location(string name, NginxRoute route, params object[] first)
    {
        var location = new Block(name, first.ToList());
        if (route.PathPrefix != "/") location.Body.Add(new Directive("rewrite", $"^{route.PathPrefix.TrimEnd('/')}/(.*)$", "/$1", "break"));
        location.Body.Add(new Directive("proxy_pass", $"http://{route.Service}"));
        return location;
    }

    private static string Zone(IngressRateLimit limit) => "limit" + new string(limit.Path.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    private static void Write(StringBuilder text, object node, int depth)
    {
        var indent = new string(' ', depth * 4);
        switch (node)
        {
            case Directive d:
                text.Append(indent).Append(string.Join(' ', d.Words)).Append(";\n");
                break;
            case Block b:
                text.Append(indent).Append(b.Name).Append(" {\n");
                foreach (var child in b.Body) Write(text, child, depth + 1);
                text.Append(indent).Append("}\n");
                break;
        }
    }
}
