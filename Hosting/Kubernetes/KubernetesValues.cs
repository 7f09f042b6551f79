using Ichrisbirch.Hosting.Publishing;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// Published values for Kubernetes: a value that is one parameter becomes a reference to the generated Secret's key,
/// any other value a literal in the resource's ConfigMap (endpoints as Service name and port), each variable by its
/// own key reference. A parameter inside a longer value has no Kubernetes form.
/// </summary>
internal sealed class KubernetesValues
{
    /// <summary>Name of the Secret that kustomize generates from <c>secrets.env</c>.</summary>
    public const string SecretName = "secrets";

    /// <summary>Parameter names (<c>POSTGRES_PASSWORD</c>) the manifests reference, each a key of the Secret.</summary>
    public SortedSet<string> SecretKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>A string for a command line or literal: no parameter may appear in it.</summary>
    public static string Literal(string resource, PublishedValue value)
        => value.Render(literal => literal, _ => throw new PublishException(
            $"{resource}: a parameter inside an argument or a longer value has no Kubernetes equivalent; pass it as an environment variable of its own."));

    /// <summary>
    /// A command-line argument: a literal, or a whole parameter that is also one of the container's variables, written
    /// <c>$(NAME)</c> so that the kubelet expands it from that (Secret-backed) variable.
    /// </summary>
    public static string Argument(string resource, PublishedValue value, IReadOnlyDictionary<string, PublishedValue> variables)
    {
        if (value.WholeParameter is { } parameter
            && variables.Where(v => ReferenceEquals(v.Value.WholeParameter, parameter)).Select(v => v.Key).Order(StringComparer.Ordinal).FirstOrDefault() is { } name)
        {
            return $"$({name})";
        }
        return Literal(resource, value);
    }

    /// <summary>The variable as a reference: to the Secret for a parameter, else to the resource's ConfigMap (whose data gets the literal).</summary>
    public V1EnvVar Variable(string resource, string name, PublishedValue value, IDictionary<string, string> configData)
    {
        if (value.WholeParameter is { } parameter)
        {
            var key = PublishedNames.EnvironmentVariable(parameter.Name);
            SecretKeys.Add(key);
            return new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = key, Name = SecretName } } };
        }
        configData[name] = Literal(resource, value);
        return new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Key = name, Name = ConfigMapName(resource) } } };
    }

    /// <summary>The ConfigMap holding a resource's literal variables.</summary>
    public static string ConfigMapName(string resource) => $"{resource}-env";
}
