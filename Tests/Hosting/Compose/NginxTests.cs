using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Ichrisbirch.Tests.EndToEnd;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>The published nginx configurations as written: accepted by nginx.</summary>
public class NginxSyntaxTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    [Fact]
    public async Task Nginx_accepts_the_published_http_configuration_as_is_and_the_https_one_with_a_certificate()
    {
        var nginx = Publisher.RequireTool("nginx", "apt-get install -y nginx-light");
        var (exit, output) = await Publisher.ExecAsync(nginx, ["-t", "-c", Path.Combine(bundle.Directory, "nginx", "http.conf")], bundle.Directory);
        Assert.True(exit == 0, output);

        var certificates = await NginxRun.CertificateAsync();
        try
        {
            var https = Path.Combine(certificates, "https.conf");
            await File.WriteAllTextAsync(https, NginxRun.Substitute(await File.ReadAllTextAsync(Path.Combine(bundle.Directory, "nginx", "https.conf")), ["/etc/nginx/tls/", certificates + "/"]));
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
/// share (they only read it). Only what Docker provides is substituted: the resolver 127.0.0.11, the service names
/// (loopback ports), the listen ports (free loopback ports) and the certificate folder.
/// </summary>
[Collection("stack")]
public class NginxRoutingTests(RunningStack running, PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private string[] Upstreams()
    {
        var api = running.Stack.App.GetEndpoint("api", "http");
        var app = running.Stack.App.GetEndpoint("app", "http");
        return ["resolver 127.0.0.11 ", "resolver 127.0.0.1 ", "api:8000;", $"127.0.0.1:{api.Port};", "app:5000;", $"127.0.0.1:{app.Port};"];
    }

    [Fact]
    public async Task Plain_http_sends_root_to_the_app_and_api_health_to_the_apis_health_with_the_prefix_stripped()
    {
        var port = NginxRun.FreePort();
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
        var (httpPort, httpsPort) = (NginxRun.FreePort(), NginxRun.FreePort());
        var certificates = await NginxRun.CertificateAsync();
        try
        {
            var conf = NginxRun.Substitute(await File.ReadAllTextAsync(Path.Combine(bundle.Directory, "nginx", "https.conf")),
                [.. Upstreams(), "listen 80;", $"listen 127.0.0.1:{httpPort};", "listen 443 ssl;", $"listen 127.0.0.1:{httpsPort} ssl;", "/etc/nginx/tls/", certificates + "/"]);
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
}

/// <summary>One nginx process on a configuration file, stopped on dispose.</summary>
internal sealed class NginxRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private NginxRun(Process process, string directory) => (_process, _directory) = (process, directory);

    /// <summary>Replaces each pair (old, new) in <paramref name="text"/>; every old value must be there.</summary>
    public static string Substitute(string text, string[] pairs)
    {
        for (var i = 0; i < pairs.Length; i += 2)
        {
            Assert.True(text.Contains(pairs[i], StringComparison.Ordinal), $"the published configuration no longer contains '{pairs[i]}'");
            text = text.Replace(pairs[i], pairs[i + 1], StringComparison.Ordinal);
        }
        return text;
    }

    public static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>A folder with certificate.pem and key.pem, a self-signed certificate for 127.0.0.1 made with openssl.</summary>
    public static async Task<string> CertificateAsync()
    {
        var openssl = Publisher.RequireTool("openssl", "apt-get install -y openssl");
        var directory = Directory.CreateTempSubdirectory("nginx-tls-").FullName;
        var (exit, output) = await Publisher.ExecAsync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-keyout", "key.pem", "-out", "certificate.pem"], directory);
        Assert.True(exit == 0, output);
        return directory;
    }

    public static async Task<NginxRun> StartAsync(string configuration, Uri ready)
    {
        var nginx = Publisher.RequireTool("nginx", "apt-get install -y nginx-light");
        var directory = Directory.CreateTempSubdirectory("nginx-run-").FullName;
        var conf = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(conf, configuration);
        var start = new ProcessStartInfo(nginx, ["-c", conf, "-e", Path.Combine(directory, "error.log"), "-g", $"daemon off; pid {directory}/nginx.pid;"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var run = new NginxRun(Process.Start(start)!, directory);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (run._process.HasExited)
            {
                var log = File.Exists(Path.Combine(directory, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(directory, "error.log")) : "";
                await run.DisposeAsync();
                Assert.Fail($"nginx exited {run._process.ExitCode}: {await run._process.StandardError.ReadToEndAsync()} {log}");
            }
            try
            {
                if ((await client.GetAsync(ready)).IsSuccessStatusCode) return run;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // slow machine
            }
            if (DateTime.UtcNow > deadline)
            {
                await run.DisposeAsync();
                Assert.Fail($"nginx did not answer {ready} within 60 s");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
