using System.Net;
using System.Reflection;
using Ichrisbirch.AppHost;

namespace Ichrisbirch.Tests.EndToEnd.Dashboard;

/// <summary>
/// The real AppHost process starts as AppHostStartup says: the Production refusal, scripts/run.sh running the built
/// AppHost, and DCP's info asked once, ahead (see <see cref="DcpInfoAhead"/>).
/// </summary>
public class AppHostStartupTests
{
    private const string Anonymous = "ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS";

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
    public async Task Run_script_runs_the_apphost_built_ahead_of_time_without_dotnet_run_and_honours_the_anonymous_opt_in()
    {
        var script = Path.Combine(AppHostProcess.RepositoryDirectory, "scripts", "run.sh");
        await using var appHost = AppHostProcess.Start(null, ["bash", script, "--anonymous-dashboard"]);
        await appHost.WaitForDashboardAsync(TimeSpan.FromSeconds(240));

        // run.sh execs the AppHost: the process it started is the AppHost itself, with no `dotnet run` above or beside it,
        // built ahead of time by scripts/build-apphost.sh (ReadyToRun code in the AppHost's assembly).
        var cmdline = File.ReadAllText($"/proc/{appHost.Process.Id}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("dotnet", Path.GetFileName(cmdline[0]));
        Assert.Equal(Path.Combine(AppHostProcess.RepositoryDirectory, "artifacts", "ready", "publish", "AppHost", "release", "AppHost.dll"), cmdline[1]);
        using (var peFile = File.OpenRead(cmdline[1]))
        using (var pe = new System.Reflection.PortableExecutable.PEReader(peFile))
        {
            Assert.True(pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0, $"{cmdline[1]} has no ReadyToRun code");
        }
        Assert.DoesNotContain(appHost.Output.Split('\n'), l => l.Contains("Login to the dashboard", StringComparison.Ordinal));

        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.GetAsync($"http://127.0.0.1:{appHost.DashboardPort}/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_running_apphost_asks_dcp_info_once_so_aspire_took_the_early_answer()
    {
        // DCP behind a script that notes each command it is given: the AppHost and Aspire both read the path from
        // DcpPublisher:CliPath, so a second `info` would be Aspire asking again.
        using var scratch = new ScratchDirectory();
        var dcp = typeof(DcpInfoAhead).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(m => string.Equals(m.Key, "DcpCliPath", StringComparison.OrdinalIgnoreCase)).Value!;
        var commands = Path.Combine(scratch.Path, "commands.log");
        var wrapper = Path.Combine(scratch.Path, "dcp");
        File.WriteAllText(wrapper, $"#!/bin/sh\necho \"$1\" >> '{commands}'\nexec '{dcp}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);

        await using var appHost = AppHostProcess.Start(null, null, $"--DcpPublisher:CliPath={wrapper}");
        await appHost.WaitForDashboardAsync(TimeSpan.FromSeconds(120));

        var asked = File.ReadAllLines(commands);
        Assert.True(asked.Count(c => c == "info") == 1, $"dcp was asked: {string.Join(", ", asked)}");
        Assert.Equal("info", asked[0]);
        Assert.Contains("start-apiserver", asked);
    }
}
