using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Ichrisbirch.Tests.EndToEnd.Dashboard;

/// <summary>
/// The real AppHost as a child process, with the dashboard it starts (the testing builder turns the dashboard off):
/// Testing environment, Local infrastructure, no test-runner, every port free and chosen here.
/// </summary>
public sealed partial class AppHostProcess : IAsyncDisposable
{
    private readonly List<string> _output = [];
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("h6-dashboard-").FullName;

    private AppHostProcess(Process process) => Process = process;

    public Process Process { get; }
    public int DashboardPort { get; } = LocalServerEndpoint.FreeLoopbackPort();
    public int OtlpGrpcPort { get; } = LocalServerEndpoint.FreeLoopbackPort();
    public int OtlpHttpPort { get; } = LocalServerEndpoint.FreeLoopbackPort();

    /// <summary>The AppHost project folder: the content root both launch paths run in.</summary>
    public static string AppHostDirectory => Directory.Exists(Projects.AppHost.ProjectPath) ? Projects.AppHost.ProjectPath : Path.GetDirectoryName(Projects.AppHost.ProjectPath)!;

    public static string RepositoryDirectory => Path.GetDirectoryName(AppHostDirectory)!;

    /// <summary>The built AppHost of the configuration these tests were built in.</summary>
    public static string AppHostDll
    {
        get
        {
            var configuration = typeof(AppHostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            return Path.Combine(AppHostDirectory, "bin", configuration, "net10.0", "AppHost.dll");
        }
    }

    /// <summary>Starts <c>dotnet AppHost.dll</c> (or <paramref name="command"/>) in the AppHost folder.</summary>
    public static AppHostProcess Start(IDictionary<string, string?>? environment = null, string[]? command = null, params string[] args)
    {
        command ??= ["dotnet", AppHostDll];
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = AppHostDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        foreach (var name in new[] { "DOTNET_ENVIRONMENT", "ASPIRE_ENVIRONMENT", "ASPNETCORE_URLS", "ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS", "ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", "ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL", "GOGC" })
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) start.Environment[name] = value;

        var process = new Process { StartInfo = start };
        var host = new AppHostProcess(process);
        string[] defaults =
        [
            "--environment", "Testing", "--Ichrisbirch:Infrastructure=Local", "--Ichrisbirch:TestRunner=false",
            $"--Ichrisbirch:Local:DataDirectory={host._dataDirectory}",
            $"--Ichrisbirch:PostgresPort={LocalServerEndpoint.FreeLoopbackPort()}", $"--Ichrisbirch:RedisPort={LocalServerEndpoint.FreeLoopbackPort()}",
            $"--Ichrisbirch:Api:Port={LocalServerEndpoint.FreeLoopbackPort()}", $"--Ichrisbirch:App:Port={LocalServerEndpoint.FreeLoopbackPort()}",
            $"--ASPNETCORE_URLS=http://127.0.0.1:{host.DashboardPort}",
            $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{host.OtlpGrpcPort}",
            $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{host.OtlpHttpPort}",
        ];
        foreach (var a in defaults.Concat(args)) start.ArgumentList.Add(a);
        process.OutputDataReceived += (_, e) => host.Add(e.Data);
        process.ErrorDataReceived += (_, e) => host.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    /// <summary>The browser token of the "Login to the dashboard at …/login?t=TOKEN" line.</summary>
    public async Task<string> LoginTokenAsync()
    {
        var line = await WaitForLineAsync(l => l.Contains("Login to the dashboard at", StringComparison.Ordinal));
        return LoginToken().Match(line).Groups[1].Value;
    }

    /// <summary>Waits for the dashboard's "Now listening on" line (the AppHost prints it once the dashboard answers).</summary>
    public Task<string> WaitForDashboardAsync(TimeSpan? timeout = null) => WaitForLineAsync(l => l.Contains("Now listening on", StringComparison.Ordinal), timeout);

    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (DateTime.UtcNow < deadline)
        {
            lock (_output)
            {
                if (_output.FirstOrDefault(match) is { } line) return line;
            }
            if (Process.HasExited) break;
            await Task.Delay(100);
        }
        throw new TimeoutException($"AppHost (exited: {Process.HasExited}) did not print the expected line. Output:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill!.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await Process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        Process.Dispose();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
    }

    [GeneratedRegex(@"/login\?t=([0-9a-fA-F]+)")]
    private static partial Regex LoginToken();
}
