using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Ichrisbirch.Tests.EndToEnd;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>The published nginx configurations as written: accepted by nginx (only names and files Docker provides substituted).</summary>
public class NginxSyntaxTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    [Fact]
    public async Task Nginx_accepts_the_published_configurations_with_resolvable_service_names_and_a_certificate()
    {
        var nginx = Publisher.RequireTool("nginx", "apt-get install -y nginx-light");
        // nginx resolves the upstream names when it loads: here they are loopback ports, under Docker its DNS.
        string[] names = ["api:8000;", "127.0.0.1:8000;", "app:5000;", "127.0.0.1:5000;"];
        var certificates = await NginxRun.CertificateAsync();
        try
        {
            var http = Path.Combine(certificates, "http.conf");
            await File.WriteAllTextAsync(http, NginxRun.Substitute(await File.ReadAllTextAsync(Path.Combine(bundle.Directory, "nginx", "http.conf")), names));
            var (exit, output) = await Publisher.ExecAsync(nginx, ["-t", "-c", http], bundle.Directory);
            Assert.True(exit == 0, output);

            var https = Path.Combine(certificates, "https.conf");
            await File.WriteAllTextAsync(Path.Combine(certificates, "https-port.conf"), "set $https_port_suffix \"\";\n"); // what start.sh writes for 443
            await File.WriteAllTextAsync(https, NginxRun.Substitute(await File.ReadAllTextAsync(Path.Combine(bundle.Directory, "nginx", "https.conf")),
                [.. names, "/etc/nginx/tls/", certificates + "/", "/run/nginx-entry/", certificates + "/"]));
            (exit, output) = await Publisher.ExecAsync(nginx, ["-t", "-c", https], bundle.Directory);
            Assert.True(exit == 0, output);
        }
        finally
        {
            Directory.Delete(certificates, recursive: true);
        }
    }
}

/// <summary>
/// The published nginx configurations run under real nginx in front of the running Testing stack the end-to-end tests
/// share (they only read it). Only what Docker provides is substituted: the service names (loopback ports), the listen
/// ports (free loopback ports), the certificate folder and the file the start script writes.
/// </summary>
[Collection("stack")]
public class NginxRoutingTests(RunningStack running, PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private string[] Upstreams()
    {
        var api = running.Stack.App.GetEndpoint("api", "http");
        var app = running.Stack.App.GetEndpoint("app", "http");
        return ["api:8000;", $"127.0.0.1:{api.Port};", "app:5000;", $"127.0.0.1:{app.Port};"];
    }

    [Fact]
    public async Task Plain_http_sends_root_to_the_app_and_api_health_to_the_apis_health_with_the_prefix_stripped()
    {
        var port = LocalServerEndpoint.FreeLoopbackPort();
        var conf = NginxRun.Substitute(await File.ReadAllTextAsync(Path.Combine(bundle.Directory, "nginx", "http.conf")), [.. Upstreams(), "listen 80;", $"listen 127.0.0.1:{port};"]);
        await using var nginx = await NginxRun.StartAsync(conf, new Uri($"http://127.0.0.1:{port}/nginx-health"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        Assert.Equal("ok\n", await client.GetStringAsync("/nginx-health"));
        var root = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Contains("<title>Habits · ichrisbirch</title>", await root.Content.ReadAsStringAsync());
        var apiHealth = await client.GetStringAsync("/api/health");
        Assert.Contains("\"postgres\":\"ok\"", apiHealth); // the api's /health, not the app's
        using var direct = running.Stack.Client("api");
        Assert.Equal(HttpStatusCode.NotFound, (await direct.GetAsync("/api/health")).StatusCode); // so nginx did strip /api
        Assert.Contains("\"api\":\"ok\"", await client.GetStringAsync("/health")); // the app's own /health
    }

    [Fact]
    public async Task Https_with_a_certificate_redirects_http_sets_hsts_and_routes_to_the_services()
    {
        var (httpPort, httpsPort) = (LocalServerEndpoint.FreeLoopbackPort(), LocalServerEndpoint.FreeLoopbackPort());
        var certificates = await NginxRun.CertificateAsync();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(certificates, "https-port.conf"), "set $https_port_suffix \"\";\n"); // what start.sh writes for 443
            var conf = NginxRun.Substitute(await File.ReadAllTextAsync(Path.Combine(bundle.Directory, "nginx", "https.conf")),
                [.. Upstreams(), "listen 80;", $"listen 127.0.0.1:{httpPort};", "listen 443 ssl;", $"listen 127.0.0.1:{httpsPort} ssl;", "/etc/nginx/tls/", certificates + "/",
                 "/run/nginx-entry/", certificates + "/"]);
            await using var nginx = await NginxRun.StartAsync(conf, new Uri($"http://127.0.0.1:{httpPort}/nginx-health"));

            using var plain = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
            var redirect = await plain.GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
            Assert.Equal("https://127.0.0.1/api/health", redirect.Headers.Location?.ToString());

            using var tls = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
            {
                BaseAddress = new Uri($"https://127.0.0.1:{httpsPort}"),
            };
            var apiHealth = await tls.GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.OK, apiHealth.StatusCode);
            Assert.Contains("\"postgres\":\"ok\"", await apiHealth.Content.ReadAsStringAsync());
            Assert.StartsWith("max-age=", Assert.Single(apiHealth.Headers.GetValues("Strict-Transport-Security")));
            Assert.Contains("<title>Habits · ichrisbirch</title>", await tls.GetStringAsync("/"));
        }
        finally
        {
            Directory.Delete(certificates, recursive: true);
        }
    }

    [Fact]
    public async Task Sign_in_requests_beyond_the_burst_are_answered_429_and_logged_while_successes_are_left_to_the_services_logs()
    {
        var port = LocalServerEndpoint.FreeLoopbackPort();
        var log = Path.Combine(Path.GetTempPath(), $"nginx-access-{Guid.NewGuid():N}.log");
        var conf = NginxRun.Substitute(await File.ReadAllTextAsync(Path.Combine(bundle.Directory, "nginx", "http.conf")),
            [.. Upstreams(), "listen 80;", $"listen 127.0.0.1:{port};", "access_log /var/log/nginx/access.log", $"access_log {log}"]);
        try
        {
            await using var nginx = await NginxRun.StartAsync(conf, new Uri($"http://127.0.0.1:{port}/nginx-health"));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 25; i++) statuses.Add((await client.GetAsync("/login")).StatusCode);
            Assert.All(statuses.Take(11), s => Assert.Equal(HttpStatusCode.OK, s)); // the first request and a burst of 10 pass
            Assert.Contains(HttpStatusCode.TooManyRequests, statuses.Skip(11));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);

            // The entry logs what it refused (each 429), not the 2xx the app already logged (a line per request
            // through Docker's log driver cost as much CPU as proxying it).
            var lines = await File.ReadAllLinesAsync(log);
            Assert.Equal(statuses.Count(s => s == HttpStatusCode.TooManyRequests), lines.Count(l => l.Contains("\"GET /login HTTP/1.1\" 429 ", StringComparison.Ordinal)));
            Assert.DoesNotContain(lines, l => l.Contains("\" 200 ", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(log);
        }
    }
}
