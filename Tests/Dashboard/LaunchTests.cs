using System.Net;
using System.Text.Json;

namespace Ichrisbirch.Tests.Dashboard;

/// <summary>F5, <c>dotnet run --project AppHost</c> and <c>scripts/run.sh</c> launch the same AppHost with the same dashboard rules.</summary>
public class LaunchTests
{
    private const string Anonymous = "ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS";

    private static JsonElement Profiles()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppHostProcess.AppHostDirectory, "Properties", "launchSettings.json")));
        return doc.RootElement.GetProperty("profiles").Clone();
    }

    private static string? Variable(JsonElement profile, string name)
        => profile.TryGetProperty("environmentVariables", out var env) && env.TryGetProperty(name, out var value) ? value.GetString() : null;

    [Fact]
    public void Only_the_anonymous_dashboard_profile_opens_the_dashboard_without_its_token()
    {
        var open = Profiles().EnumerateObject().Where(p => Variable(p.Value, Anonymous) is not null).Select(p => p.Name).ToList();
        Assert.Equal(["http-anonymous-dashboard"], open);
        Assert.Equal("Development", Variable(Profiles().GetProperty("http-anonymous-dashboard"), "DOTNET_ENVIRONMENT"));
    }

    [Fact]
    public void Every_launch_profile_opens_the_dashboard_url_the_shared_settings_configure()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppHostProcess.AppHostDirectory, "appsettings.json")));
        var url = settings.RootElement.GetProperty("ASPNETCORE_URLS").GetString();
        Assert.Equal("true", settings.RootElement.GetProperty("ASPIRE_ALLOW_UNSECURED_TRANSPORT").GetString());
        foreach (var profile in Profiles().EnumerateObject())
        {
            var urls = profile.Value.GetProperty("applicationUrl").GetString()!.Split(';');
            Assert.True(urls.Contains(url), $"profile {profile.Name} opens {string.Join(";", urls)}, the settings say {url}");
            Assert.True(profile.Value.GetProperty("launchBrowser").GetBoolean(), $"profile {profile.Name} should open the dashboard");
        }
    }

    [Fact]
    public async Task Production_refuses_the_anonymous_dashboard_opt_in_with_one_line()
    {
        await using var appHost = AppHostProcess.Start(new Dictionary<string, string?> { [Anonymous] = "true" }, null, "--environment", "Production");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await appHost.Process.WaitForExitAsync(cts.Token);
        Assert.Equal(1, appHost.Process.ExitCode);
        var lines = appHost.Output.Split('\n').Where(l => l.StartsWith("ichrisbirch AppHost:", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            $"ichrisbirch AppHost: Production never opens the dashboard without its login token, but {Anonymous}=true is set. " +
            "Unset it (environment, --option or appsettings), or run Development for anonymous access.",
            Assert.Single(lines));
        Assert.DoesNotContain("postgres", appHost.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Run_script_runs_the_built_apphost_without_dotnet_run_and_honours_the_anonymous_opt_in()
    {
        var script = Path.Combine(AppHostProcess.RepositoryDirectory, "scripts", "run.sh");
        await using var appHost = AppHostProcess.Start(null, ["bash", script, "--anonymous-dashboard"]);
        await appHost.WaitForDashboardAsync(TimeSpan.FromSeconds(240));

        // run.sh execs the AppHost: the process it started is the AppHost itself, with no `dotnet run` above or beside it.
        var cmdline = File.ReadAllText($"/proc/{appHost.Process.Id}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("dotnet", Path.GetFileName(cmdline[0]));
        Assert.Equal(AppHostProcess.AppHostDll, cmdline[1]);
        Assert.DoesNotContain(appHost.Output.Split('\n'), l => l.Contains("Login to the dashboard", StringComparison.Ordinal));

        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.GetAsync($"http://127.0.0.1:{appHost.DashboardPort}/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
