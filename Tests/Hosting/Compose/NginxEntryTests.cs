using System.Net;
using Ichrisbirch.Tests.Support;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>
/// The published nginx entry (start script and configurations) under real nginx, in front of an upstream that
/// echoes what it receives: the headers nginx sets, its keep-alive upstream connections, the https port of the
/// redirect and the TLS session cache. Substituted as in <see cref="NginxRoutingTests"/>: service names, listen ports, folders.
/// </summary>
public class NginxEntryTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private string Published(string file) => File.ReadAllText(Path.Combine(bundle.Directory, "nginx", file));

    private static string[] Upstreams(HeaderEchoUpstream upstream) => ["api:8000;", $"127.0.0.1:{upstream.Port};", "app:5000;", $"127.0.0.1:{upstream.Port};"];

    /// <summary>The published http.conf on a free loopback port, both upstreams the echo.</summary>
    private async Task<(NginxRun Nginx, int Port)> StartPlainHttpAsync(HeaderEchoUpstream upstream)
    {
        var port = LocalServerEndpoint.FreeLoopbackPort();
        var conf = NginxRun.Substitute(Published("http.conf"), [.. Upstreams(upstream), "listen 80;", $"listen 127.0.0.1:{port};"]);
        return (await NginxRun.StartAsync(conf, new Uri($"http://127.0.0.1:{port}/nginx-health")), port);
    }

    [Fact]
    public async Task Nginx_forwards_the_host_the_client_asked_for_and_never_a_client_sent_X_Forwarded_Host()
    {
        using var upstream = new HeaderEchoUpstream();
        var (nginx, port) = await StartPlainHttpAsync(upstream);
        await using var _ = nginx;
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/habits/");
        request.Headers.Host = "ichrisbirch.example:8443";
        request.Headers.Add("X-Forwarded-Host", "attacker.example");
        request.Headers.Add("X-Forwarded-Proto", "https");

        var received = (await (await client.SendAsync(request)).Content.ReadAsStringAsync()).Split('\n');
        Assert.Equal("X-Forwarded-Host: ichrisbirch.example:8443", Assert.Single(received, l => l.StartsWith("X-Forwarded-Host:", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal("X-Forwarded-Proto: http", Assert.Single(received, l => l.StartsWith("X-Forwarded-Proto:", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(received, l => l.Contains("attacker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Requests_reuse_keep_alive_connections_to_the_upstream_instead_of_opening_one_each()
    {
        using var upstream = new HeaderEchoUpstream();
        var (nginx, port) = await StartPlainHttpAsync(upstream);
        await using var _ = nginx;
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        for (var i = 0; i < 30; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(i % 2 == 0 ? "/" : "/api/habits/")).StatusCode);
        Assert.InRange(upstream.Connections, 1, 2); // one per upstream; through a variable it was 30
    }

    [Fact]
    public async Task The_start_script_serves_https_redirects_http_to_the_https_port_of_env_and_resumes_tls_sessions()
    {
        using var upstream = new HeaderEchoUpstream();
        var (httpPort, httpsPort) = (LocalServerEndpoint.FreeLoopbackPort(), LocalServerEndpoint.FreeLoopbackPort());
        var certificates = await NginxRun.CertificateAsync();
        try
        {
            await using var nginx = await NginxRun.StartScriptAsync(Published("start.sh"), async directory =>
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "https.conf"), NginxRun.Substitute(Published("https.conf"),
                    [.. Upstreams(upstream), "listen 80;", $"listen 127.0.0.1:{httpPort};", "listen 443 ssl;", $"listen 127.0.0.1:{httpsPort} ssl;",
                     "/etc/nginx/tls/", directory + "/tls/", "/run/nginx-entry/", directory + "/run/"]));
                Directory.CreateDirectory(Path.Combine(directory, "tls"));
                foreach (var pem in new[] { "certificate.pem", "key.pem" }) File.Copy(Path.Combine(certificates, pem), Path.Combine(directory, "tls", pem));
            }, new Dictionary<string, string> { ["NGINX_PROTOCOL"] = "https", ["HTTPS_PORT"] = $"{httpsPort}" }, new Uri($"http://127.0.0.1:{httpPort}/nginx-health"));

            using var plain = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            var redirect = await plain.GetAsync($"http://127.0.0.1:{httpPort}/api/habits/?x=1");
            Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
            Assert.Equal($"https://127.0.0.1:{httpsPort}/api/habits/?x=1", redirect.Headers.Location?.ToString());

            using var tls = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
            var page = await tls.GetAsync($"https://127.0.0.1:{httpsPort}/api/habits/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.StartsWith("GET /habits/ HTTP/1.1", await page.Content.ReadAsStringAsync()); // the prefix stripped
            Assert.StartsWith("max-age=", Assert.Single(page.Headers.GetValues("Strict-Transport-Security")));

            // TLS 1.2 without tickets resumes only through the server's session cache.
            var (_, output) = await Processes.RunAsync("/bin/sh", ["-c", $"openssl s_client -connect 127.0.0.1:{httpsPort} -tls1_2 -no_ticket -reconnect < /dev/null"]);
            Assert.Contains("Reused, TLSv1.2", output);
        }
        finally
        {
            Directory.Delete(certificates, recursive: true);
        }
    }

    [Fact]
    public async Task The_start_script_reloads_nginx_when_the_upstream_names_get_new_addresses_and_not_before()
    {
        // getent, which the script asks every 5 s for app's and api's addresses (Docker's DNS in the bundle), answers
        // from a file here: a new address is a container re-created or a replica added.
        using var dns = new ScratchDirectory();
        var (addresses, calls, getent) = (Path.Combine(dns.Path, "addresses"), Path.Combine(dns.Path, "calls"), Path.Combine(dns.Path, "getent"));
        await File.WriteAllTextAsync(addresses, "10.214.0.5\n");
        await File.WriteAllTextAsync(getent, $"#!/bin/sh\necho \"$2\" >> {calls}\nsed \"s/$/ STREAM $2/\" {addresses}\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(getent, (UnixFileMode)0b111_101_101);
        using var first = new HeaderEchoUpstream();
        using var second = new HeaderEchoUpstream();
        var port = LocalServerEndpoint.FreeLoopbackPort();
        string Conf(HeaderEchoUpstream upstream) => NginxRun.Substitute(Published("http.conf"), [.. Upstreams(upstream), "listen 80;", $"listen 127.0.0.1:{port};"]);
        await using var nginx = await NginxRun.StartScriptAsync(Published("start.sh"), d => File.WriteAllTextAsync(Path.Combine(d, "http.conf"), Conf(first)),
            new Dictionary<string, string> { ["NGINX_PROTOCOL"] = "http", ["PATH"] = $"{dns.Path}:{Environment.GetEnvironmentVariable("PATH")}" },
            new Uri($"http://127.0.0.1:{port}/nginx-health"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        int Calls() => File.Exists(calls) ? File.ReadAllLines(calls).Length : 0;

        // Another configuration, the same addresses: the script looks again and leaves nginx as it is.
        await File.WriteAllTextAsync(Path.Combine(nginx.Directory, "http.conf"), Conf(second));
        var looked = Calls() + 4; // two names a round: 4 calls on, a round begun after the change has decided
        await WaitUntilAsync(() => Task.FromResult(Calls() >= looked), "the script did not look up the addresses again within 30 s");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/habits/")).StatusCode);
        Assert.Equal(0, second.Connections);

        await File.WriteAllTextAsync(addresses, "10.214.0.6\n");
        await WaitUntilAsync(async () => (await client.GetAsync("/api/habits/")).IsSuccessStatusCode && second.Connections > 0,
            "nginx was not reloaded within 30 s of the upstream names' new address");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(200);
        }
    }

    [Theory]
    [InlineData("ftp", "", "NGINX_PROTOCOL in .env must be https or http, not 'ftp'")]
    [InlineData("https", "", "set TLS_CERTIFICATE and TLS_CERTIFICATE_KEY in .env")]
    [InlineData("http", "84x3", "HTTPS_PORT in .env must be a port number, not '84x3'")]
    public async Task The_start_script_stops_with_one_line_naming_the_setting_to_fix(string protocol, string httpsPort, string expected)
    {
        var directory = Directory.CreateTempSubdirectory("nginx-start-").FullName;
        try
        {
            var script = Path.Combine(directory, "start.sh");
            await File.WriteAllTextAsync(script, NginxRun.Substitute(Published("start.sh"), ["/etc/nginx/", directory + "/", "/run/nginx-entry", directory + "/run"]));
            var environment = new Dictionary<string, string> { ["NGINX_PROTOCOL"] = protocol };
            if (httpsPort != "") environment["HTTPS_PORT"] = httpsPort;
            var (exit, output) = await Processes.RunAsync("/bin/sh", [script], directory, environment, TimeSpan.FromSeconds(30));
            Assert.Equal(1, exit);
            Assert.Contains(expected, Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
