using System.Text.Json;
using Ichrisbirch.Tests.EndToEnd.Dashboard;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>F5, <c>dotnet run --project AppHost</c> and <c>scripts/run.sh</c> launch the same AppHost with the same dashboard rules (read from the files, no process).</summary>
public class LaunchProfileTests
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
}
