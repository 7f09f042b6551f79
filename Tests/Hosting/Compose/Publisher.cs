using System.Diagnostics;
using YamlDotNet.Serialization;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>Runs the AppHost's publish as a process (the command users run) and reads what it wrote.</summary>
public static class Publisher
{
    /// <summary>Known parameter values handed to every publish; none may appear in the output.</summary>
    public static readonly IReadOnlyDictionary<string, string> Secrets = new Dictionary<string, string>
    {
        ["postgres-password"] = "pg-Secret-7f3a91",
        ["postgres-app-password"] = "pg-app-Secret-3e5b28",
        ["redis-password"] = "redis-Secret-2b8c44",
        ["api-secret-key"] = "api-Secret-9d1e07",
        ["flask-secret-key"] = "flask-Secret-5c6f32",
        ["app-admin-password"] = "admin-Secret-8e2d17",
    };

    /// <summary>
    /// The Kubernetes production overlay's host, TLS Secret and cert-manager issuer handed to every publish (as a
    /// deployer passes them; the repository sets none), and the settings that give them.
    /// </summary>
    public const string IngressHost = "ichrisbirch.example.com", TlsSecretName = "ichrisbirch-example-com-tls", ClusterIssuer = "letsencrypt-prod";

    public static readonly IReadOnlyDictionary<string, string> KubernetesSettings = new Dictionary<string, string>
    {
        ["Ichrisbirch__Kubernetes__Host"] = IngressHost,
        ["Ichrisbirch__Kubernetes__TlsSecretName"] = TlsSecretName,
        ["Ichrisbirch__Kubernetes__CertManagerIssuer"] = ClusterIssuer,
    };

    public static string RepoRoot => Repository.Root;

    /// <summary>
    /// <c>dotnet run --project AppHost --no-build --no-launch-profile -- --operation publish …</c>;
    /// <paramref name="environment"/> null removes DOTNET_ENVIRONMENT/ASPIRE_ENVIRONMENT (Production).
    /// </summary>
    public static async Task<TimeSpan> RunAsync(string[] publishArgs, string? environment = null, string? path = null, IDictionary<string, string>? variables = null)
        => (await RunWithOutputAsync(publishArgs, environment, path, variables)).Elapsed;

    private static async Task<(TimeSpan Elapsed, string Output)> RunWithOutputAsync(string[] publishArgs, string? environment, string? path, IDictionary<string, string>? variables)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "run", "--project", "AppHost", "--no-build", "--no-launch-profile", "--" }.Concat(publishArgs)) start.ArgumentList.Add(a);
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment.Remove("ASPIRE_ENVIRONMENT");
        if (environment is not null) start.Environment["DOTNET_ENVIRONMENT"] = environment;
        if (path is not null) start.Environment["PATH"] = path;
        foreach (var (name, value) in Secrets) start.Environment[$"Parameters__{name}"] = value;
        foreach (var (name, value) in KubernetesSettings) start.Environment[name] = value;
        foreach (var (name, value) in variables ?? new Dictionary<string, string>()) start.Environment[name] = value;

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        clock.Stop();
        var output = $"{await stdout}\n{await stderr}";
        Assert.True(process.ExitCode == 0, $"publish ({string.Join(' ', publishArgs)}) exited {process.ExitCode}:\n{output}");
        return (clock.Elapsed, output);
    }

    /// <summary>Publishes the compose bundle into a new temporary folder.</summary>
    public static async Task<string> PublishAsync(string? environment = null, string? path = null, IDictionary<string, string>? variables = null)
    {
        var output = Directory.CreateTempSubdirectory("compose-publish-").FullName;
        var (_, log) = await RunWithOutputAsync(["--operation", "publish", "--step", "publish", "--output-path", output], environment, path, variables);
        Assert.True(File.Exists(Path.Combine(output, "docker-compose.yml")), $"publish exited 0 but wrote no docker-compose.yml into {output}:\n{log}");
        return output;
    }

    /// <summary>
    /// A private copy of the one production publish (no environment, the known secrets) this test run shares: tests
    /// that only read a default bundle need not publish it again. The shared original is deleted when the run ends.
    /// </summary>
    public static async Task<string> ProductionCopyAsync()
    {
        var copy = Directory.CreateTempSubdirectory("compose-publish-").FullName;
        CopyTree(await s_production.Value, copy);
        return copy;
    }

    /// <summary>Copies every folder and file under <paramref name="source"/> into <paramref name="target"/> (made where missing), replacing files there.</summary>
    public static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        }
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)), overwrite: true);
        }
    }

    private static readonly Lazy<Task<string>> s_production = new(() =>
    {
        var publish = PublishAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (publish.IsCompletedSuccessfully && Directory.Exists(publish.Result)) Directory.Delete(publish.Result, recursive: true);
        };
        return publish;
    });

    /// <summary>A YAML file as nested dictionaries, lists and strings.</summary>
    public static Dictionary<object, object> ReadYaml(string path)
        => new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(path));

    /// <summary>The mapping under <paramref name="keys"/> (each key one level down).</summary>
    public static Dictionary<object, object> Map(this Dictionary<object, object> node, params string[] keys)
    {
        foreach (var key in keys)
        {
            Assert.True(node.TryGetValue(key, out var child), $"missing key '{key}'");
            node = Assert.IsType<Dictionary<object, object>>(child);
        }
        return node;
    }

    /// <summary>The sequence under <paramref name="key"/>, as strings where scalar.</summary>
    public static List<object> List(this Dictionary<object, object> node, string key)
        => Assert.IsType<List<object>>(node[key]);

    /// <summary>A tool the test needs; fails with the install command when it is missing.</summary>
    public static string RequireTool(string name, string install)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"{name} is not installed: {install} (scripts/bootstrap.sh installs it).");
        return "";
    }

    /// <summary>Runs a tool to completion; returns exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> ExecAsync(string file, IEnumerable<string> args, string workingDirectory)
        => Processes.RunAsync(file, args, workingDirectory);

}

/// <summary>The production bundle for the tests of a class (a private copy of the run's one publish).</summary>
public sealed class PublishedBundle : IAsyncLifetime
{
    public string Directory { get; private set; } = "";
    public TimeSpan Elapsed { get; private set; }
    public Dictionary<object, object> Production { get; private set; } = [];
    public Dictionary<object, object> Services => Production.Map("services");

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        Directory = await Publisher.ProductionCopyAsync();
        Elapsed = clock.Elapsed;
        Production = Publisher.ReadYaml(Path.Combine(Directory, "docker-compose.yml"));
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}
