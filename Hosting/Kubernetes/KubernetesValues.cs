using System.Text.RegularExpressions;
using Ichrisbirch.Hosting.Compose;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// Model values for Kubernetes, evaluated by the compose value evaluation (endpoints → service name and target
/// port, conditionals evaluated): a literal goes to the resource's ConfigMap, a parameter to the generated Secret,
/// each variable by its own key reference.
/// </summary>
internal sealed partial class KubernetesValues
{
    /// <summary>Name of the Secret that kustomize generates from <c>secrets.env</c>.</summary>
    public const string SecretName = "secrets";

    private readonly ComposeValues _compose = new();

    /// <summary>Parameter names (<c>POSTGRES_PASSWORD</c>) the manifests reference, each a key of the Secret.</summary>
    public SortedSet<string> SecretKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>A string for a command line or literal: no parameter may appear in it.</summary>
    public string Literal(string resource, object? value)
    {
        var formatted = _compose.Format(value);
        if (Placeholder().IsMatch(formatted.Replace("$$", "", StringComparison.Ordinal)))
        {
            throw new ComposePublishException($"{resource}: a parameter inside an argument or a longer value has no Kubernetes equivalent; pass it as an environment variable of its own.");
        }
        return formatted.Replace("$$", "$", StringComparison.Ordinal);
    }

    /// <summary>The variable as a reference: to the Secret for a parameter, else to the resource's ConfigMap (whose data gets the literal).</summary>
    public V1EnvVar Variable(string resource, string name, object? value, IDictionary<string, string> configData)
    {
        var whole = Placeholder().Match(_compose.Format(value));
        if (whole.Success && whole.Length == _compose.Format(value).Length)
        {
            SecretKeys.Add(whole.Groups[1].Value);
            return new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = whole.Groups[1].Value, Name = SecretName } } };
        }
        configData[name] = Literal(resource, value);
        return new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Key = name, Name = ConfigMapName(resource) } } };
    }

    /// <summary>The ConfigMap holding a resource's literal variables.</summary>
    public static string ConfigMapName(string resource) => $"{resource}-env";

    /// <summary>The port the resource's endpoint listens on inside its container.</summary>
    public static int TargetPort(Aspire.Hosting.ApplicationModel.IResource resource, string endpointName) => ComposeValues.TargetPort(resource, endpointName);

    [GeneratedRegex(@"\$\{([A-Z0-9_]+)(:\?[^}]*)?\}")]
    private static partial Regex Placeholder();
}
