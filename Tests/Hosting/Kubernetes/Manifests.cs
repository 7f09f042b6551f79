using Ichrisbirch.Hosting.Kubernetes;
using Ichrisbirch.Hosting.Publishing;
using Ichrisbirch.Tests.Hosting.Compose;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>Publishes, fills secrets.env from the fixture, renders overlays with kubectl kustomize and validates them offline.</summary>
public static class Manifests
{
    public static readonly string[] Overlays = ["production", "development", "testing"];
    public const string KustomizeVersion = "v5.5.0";
    private static readonly string Directory = Path.Combine(Publisher.RepoRoot, "Tests", "Hosting", "Kubernetes");
    public static readonly string Validator = Path.Combine(Directory, "validator");

    /// <summary>kubectl on PATH; fails with one line when missing (it is preinstalled here, not from Debian, so bootstrap cannot install it).</summary>
    public static string Kubectl()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"kubectl is not on PATH: these tests need kubectl with kustomize {KustomizeVersion} (https://kubernetes.io/docs/tasks/tools/; not a Debian package).");
        return found!;
    }

    /// <summary>Each overlay's secrets.env: the fixture values of the keys its secrets.env.example lists.</summary>
    public static void FillSecrets(string k8s)
    {
        var fixture = File.ReadAllLines(Path.Combine(Directory, "fixture-secrets.env")).ToDictionary(l => l.Split('=')[0], l => l);
        foreach (var overlay in Overlays)
        {
            var example = Path.Combine(k8s, "overlays", overlay, "secrets.env.example");
            var keys = File.ReadAllLines(example).Where(l => !l.StartsWith('#') && l.EndsWith('=')).Select(l => l.TrimEnd('='));
            File.WriteAllLines(Path.Combine(k8s, "overlays", overlay, "secrets.env"), keys.Select(k => fixture[k]));
        }
    }

    public static async Task<string> RenderAsync(string k8s, string overlay)
    {
        var (exit, output) = await Publisher.ExecAsync(Kubectl(), ["kustomize", Path.Combine("overlays", overlay)], k8s);
        Assert.True(exit == 0, $"kubectl kustomize overlays/{overlay}: {output}");
        return output;
    }

    /// <summary>node validate.mjs FILE: exit code and one line per invalid object.</summary>
    public static async Task<(int ExitCode, string Output)> ValidateAsync(string yaml)
    {
        var node = Publisher.RequireTool("node", "apt-get install nodejs npm");
        Assert.True(System.IO.Directory.Exists(Path.Combine(Validator, "node_modules", "kubernetes-models")),
            "Tests/Hosting/Kubernetes/validator/node_modules is missing: run bash scripts/bootstrap.sh (npm ci there).");
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, yaml);
        try
        {
            return await Publisher.ExecAsync(node, ["validate.mjs", file], Validator);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static List<Dictionary<object, object>> Documents(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _)) documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        return documents;
    }

    /// <summary>
    /// Writes the manifests of <paramref name="topology"/> in-process, with the Kubernetes environment the
    /// AppHost configures (overlays, ingress, image users, autoscaling) as its Production model holds it, and the
    /// Ingress host, TLS Secret and issuer every test publish gets (<see cref="Publisher.KubernetesSettings"/>), then <paramref name="configure"/>.
    /// </summary>
    public static async Task<string> WriteAsync(Action<IDistributedApplicationBuilder> topology, string? output = null, Action<KustomizeBundleResource>? configure = null)
    {
        var appHost = Path.Combine(Publisher.RepoRoot, "AppHost");
        var models = new PublishedModels(topology, appHost);
        var environment = (await models.GetAsync("Production")).Model.Resources.OfType<KustomizeBundleResource>().Single();
        (environment.IngressHost, environment.TlsSecretName, environment.ClusterIssuer) = (Publisher.IngressHost, Publisher.TlsSecretName, Publisher.ClusterIssuer);
        configure?.Invoke(environment);
        output ??= System.IO.Directory.CreateTempSubdirectory("k8s-model-").FullName;
        try
        {
            await KubernetesPublisher.WriteAsync(environment, models, output, CancellationToken.None);
        }
        catch
        {
            System.IO.Directory.Delete(output, recursive: true);
            throw;
        }
        return output;
    }

    public static object? At(this object? node, params object[] path)
    {
        foreach (var key in path)
        {
            node = (node, key) switch
            {
                (Dictionary<object, object> map, string name) => map.TryGetValue(name, out var child) ? child : null,
                (List<object> list, int index) => index < list.Count ? list[index] : null,
                _ => null,
            };
        }
        return node;
    }

    public static IEnumerable<Dictionary<object, object>> Items(this object? node, params object[] path)
        => (node.At(path) as List<object> ?? []).Cast<Dictionary<object, object>>();

    public static Dictionary<object, object> Object(this List<Dictionary<object, object>> documents, string kind, string name)
        => documents.SingleOrDefault(d => (string?)d.At("kind") == kind && (string?)d.At("metadata", "name") == name)
            ?? throw new Xunit.Sdk.XunitException($"no {kind}/{name} among {string.Join(", ", documents.Select(d => $"{d["kind"]}/{d.At("metadata", "name")}"))}");

    /// <summary>The ConfigMap generated as <paramref name="name"/>: kustomize appends a hash of its content to the name.</summary>
    public static Dictionary<object, object> ConfigMap(this List<Dictionary<object, object>> documents, string name)
        => documents.SingleOrDefault(d => (string)d["kind"] == "ConfigMap" && System.Text.RegularExpressions.Regex.IsMatch((string)d.At("metadata", "name")!, $"^{name}-[a-z0-9]{{10}}$"))
            ?? throw new Xunit.Sdk.XunitException($"no generated ConfigMap {name}-<hash>");

    /// <summary>Every container (init containers included) of a workload.</summary>
    public static IEnumerable<Dictionary<object, object>> Containers(this Dictionary<object, object> workload)
        => workload.Items("spec", "template", "spec", "initContainers").Concat(workload.Items("spec", "template", "spec", "containers"));
}

/// <summary>The production publish through the AppHost (the command users run, shared by the run), each overlay rendered with the fixture secrets.</summary>
public sealed class RenderedManifests : IAsyncLifetime
{
    public string Output { get; private set; } = "";
    public string K8s => Path.Combine(Output, "k8s");
    public Dictionary<string, string> Rendered { get; } = [];
    public Dictionary<string, List<Dictionary<object, object>>> Objects { get; } = [];

    public async Task InitializeAsync()
    {
        Manifests.Kubectl();
        Output = await Publisher.ProductionCopyAsync();
        Manifests.FillSecrets(K8s);
        foreach (var overlay in Manifests.Overlays)
        {
            Rendered[overlay] = await Manifests.RenderAsync(K8s, overlay);
            Objects[overlay] = Manifests.Documents(Rendered[overlay]);
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Output, recursive: true);
        return Task.CompletedTask;
    }
}
