using System.Diagnostics;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>What a person sees on the console when the AppHost is set up wrong: one line, exit code 1.</summary>
public class ConsoleErrorTests
{
    private static async Task<(int ExitCode, string StdErr)> RunAppHostAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AppHost.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://127.0.0.1:0";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stderr);
    }

    [Fact]
    public async Task Unknown_environment_prints_one_line_and_exits_1()
    {
        var (exitCode, stderr) = await RunAppHostAsync("--environment", "Staging");
        Assert.Equal(1, exitCode);
        Assert.Equal(
            "ichrisbirch AppHost: Unknown environment 'Staging'. Use Development, Testing or Production (--environment NAME, DOTNET_ENVIRONMENT or the launch profile).",
            stderr.Trim());
    }

    [Fact]
    public async Task Production_without_secrets_prints_one_line_naming_every_missing_secret_and_exits_1()
    {
        var (exitCode, stderr) = await RunAppHostAsync("--environment", "Production", "--Ichrisbirch:Infrastructure=Local", "--Parameters:redis-password=given-redis-secret");
        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ichrisbirch AppHost: Production needs a value for the secret parameter(s) postgres-password, postgres-app-password, api-secret-key, flask-secret-key, app-admin-password.", line);
        Assert.DoesNotContain("given-redis-secret", stderr);
    }
}
