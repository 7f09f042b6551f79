using System.Net;
using System.Net.Http.Headers;

namespace Ichrisbirch.Tests.EndToEnd.Dashboard;

/// <summary>One AppHost with its dashboard as the default launch runs it (no anonymous opt-in).</summary>
public sealed class SecuredDashboard : IAsyncLifetime
{
    public AppHostProcess AppHost { get; private set; } = null!;
    public string Token { get; private set; } = "";

    public async Task InitializeAsync()
    {
        AppHost = AppHostProcess.Start();
        Token = await AppHost.LoginTokenAsync();
        await AppHost.WaitForDashboardAsync();
    }

    public async Task DisposeAsync() => await AppHost.DisposeAsync();
}

public class DashboardAccessTests(SecuredDashboard dashboard) : IClassFixture<SecuredDashboard>
{
    private const string AuthCookiePrefix = ".Aspire.Dashboard.Auth.Http.";

    private static HttpClient Client() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private string Dashboard(string path) => $"http://127.0.0.1:{dashboard.AppHost.DashboardPort}{path}";

    [Fact]
    public async Task Login_url_from_the_console_signs_in_and_its_cookie_opens_the_dashboard()
    {
        using var client = Client();

        using var anonymous = await client.GetAsync(Dashboard("/"));
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/login", new Uri(new Uri(Dashboard("/")), anonymous.Headers.Location!).AbsolutePath);

        using var login = await client.GetAsync(Dashboard($"/login?t={dashboard.Token}"));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = AuthCookie(login);
        Assert.NotNull(cookie);

        using var request = new HttpRequestMessage(HttpMethod.Get, Dashboard("/"));
        request.Headers.Add("Cookie", cookie);
        using var signedIn = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
    }

    [Fact]
    public async Task Wrong_token_does_not_sign_in()
    {
        using var client = Client();
        using var login = await client.GetAsync(Dashboard("/login?t=0123456789abcdef0123456789abcdef"));
        Assert.Null(AuthCookie(login));
    }

    [Fact]
    public async Task Dashboard_shows_the_application_as_Ichrisbirch()
    {
        // The dashboard keys its sign-in cookie by the application name it shows (lower case plus a hash).
        using var client = Client();
        using var login = await client.GetAsync(Dashboard($"/login?t={dashboard.Token}"));
        var cookie = AuthCookie(login);
        Assert.NotNull(cookie);
        Assert.StartsWith($"{AuthCookiePrefix}ichrisbirch-", cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_endpoint_refuses_an_export_without_the_api_key_and_accepts_the_key_the_services_get()
    {
        var key = await OtlpKeyOfAServiceAsync();
        using var client = Client();

        Assert.Equal(HttpStatusCode.Unauthorized, await ExportAsync(client, apiKey: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await ExportAsync(client, apiKey: "not-the-key"));
        Assert.Equal(HttpStatusCode.OK, await ExportAsync(client, key));
    }

    [Fact]
    public void Dcp_runs_with_the_smaller_go_heap_target_the_apphost_hands_down()
    {
        var monitor = $"start-apiserver --monitor {dashboard.AppHost.Process.Id} ";
        var dcp = Directory.GetDirectories("/proc")
            .Select(dir => (Dir: dir, Cmd: ReadOrEmpty(Path.Combine(dir, "cmdline")).Replace('\0', ' ')))
            .Where(p => p.Cmd.Contains(monitor, StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(dcp);
        foreach (var (dir, cmd) in dcp)
        {
            Assert.Contains("GOGC=25", ReadOrEmpty(Path.Combine(dir, "environ")).Split('\0'));
        }
    }

    private static string ReadOrEmpty(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    /// <summary>An empty OTLP/HTTP logs export: a zero-length protobuf body is a valid request.</summary>
    private async Task<HttpStatusCode> ExportAsync(HttpClient client, string? apiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{dashboard.AppHost.OtlpHttpPort}/v1/logs")
        {
            Content = new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } },
        };
        if (apiKey is not null) request.Headers.Add("x-otlp-api-key", apiKey);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The x-otlp-api-key a service of this AppHost was started with (OTEL_EXPORTER_OTLP_HEADERS).</summary>
    private async Task<string> OtlpKeyOfAServiceAsync()
    {
        string[] endpoints = [$":{dashboard.AppHost.OtlpGrpcPort}", $":{dashboard.AppHost.OtlpHttpPort}"];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var dir in Directory.GetDirectories("/proc"))
            {
                string[] environ;
                try { environ = (await File.ReadAllTextAsync(Path.Combine(dir, "environ"))).Split('\0'); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                var endpoint = environ.FirstOrDefault(v => v.StartsWith("OTEL_EXPORTER_OTLP_ENDPOINT=", StringComparison.Ordinal));
                if (endpoint is null || !endpoints.Any(p => endpoint.TrimEnd('/').EndsWith(p, StringComparison.Ordinal))) continue;
                var headers = environ.FirstOrDefault(v => v.StartsWith("OTEL_EXPORTER_OTLP_HEADERS=", StringComparison.Ordinal));
                var key = headers?.Split('=', 2)[1].Split(',').Select(h => h.Split('=', 2)).FirstOrDefault(h => h[0] == "x-otlp-api-key");
                Assert.True(key is { Length: 2 } && key[1].Length > 0, $"a service of this AppHost has no OTLP API key: {headers}");
                return key![1];
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"No service process exporting to this dashboard ({string.Join(", ", endpoints)}) appeared. AppHost output:\n{dashboard.AppHost.Output}");
    }

    private static string? AuthCookie(HttpResponseMessage response)
        => response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith(AuthCookiePrefix, StringComparison.Ordinal))
            : null;

    [Fact]
    public void Dashboard_threads_run_at_a_lower_cpu_priority_so_the_services_win_the_cores_at_start()
    {
        // DCP runs detached from the AppHost: its api server names the AppHost it monitors; the dashboard is DCP's child.
        var pids = Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0).Where(pid => pid > 0).ToList();
        var dcp = pids.Where(pid => Processes.Describe(pid).Contains($"--monitor {dashboard.AppHost.Process.Id} ", StringComparison.Ordinal));
        var dashboardPid = Processes.WithDescendants(dcp).Single(pid => Processes.Describe(pid).Contains("Aspire.Dashboard", StringComparison.Ordinal));
        var nice = Directory.GetDirectories($"/proc/{dashboardPid}/task")
            .Select(task => int.Parse(File.ReadAllText(Path.Combine(task, "stat")).Split(')')[^1].Trim().Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.All(nice, n => Assert.Equal(Ichrisbirch.AppHost.DashboardPriority.Niceness, n));
    }
}
