using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using k8s;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// Writes the kustomize directories: <c>base/</c> (one file per object) and per overlay its kustomization
/// (base, added objects, patches, the Secret generated from <c>secrets.env</c>, the images) and a
/// <c>secrets.env.example</c> with every key and no value.
/// </summary>
internal static class KustomizeWriter
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions s_literal = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteBase(string directory, KubernetesTranslation translation, string environmentName)
    {
        foreach (var (file, value) in translation.Objects) Write(directory, file, Yaml(value));
        Write(directory, "kustomization.yaml", Header($"The {environmentName} model's objects (the base every overlay starts from).")
            + Kustomization() + List("resources", translation.Objects.Keys)
            + Generators(translation.ConfigMaps.ToDictionary(c => c.Key, c => ("", c.Value))));
    }

    public static void WriteOverlay(string directory, KubernetesTranslation translation, OverlayDifference difference, KubernetesOverlay overlay)
    {
        var text = new StringBuilder(Header($"The {overlay.EnvironmentName} model: the base plus its differences. Render: kubectl kustomize .; apply: kubectl apply -k ."));
        text.Append(Kustomization());
        if (overlay.Namespace is { } ns) text.Append($"namespace: {ns}\n");
        text.Append(List("resources", ["../../base", .. difference.Added.Keys]));
        foreach (var (file, value) in difference.Added) Write(directory, file, Yaml(value));

        var patches = new StringBuilder();
        foreach (var (file, value) in difference.Deleted)
        {
            var name = $"delete-{file}";
            Write(directory, name, $"$patch: delete\napiVersion: {value.ApiVersion}\nkind: {value.Kind}\nmetadata:\n  name: {value.Metadata.Name}\n");
            patches.Append($"- path: {name}\n");
        }
        foreach (var (file, (target, operations)) in difference.Patched)
        {
            var name = $"patch-{Path.ChangeExtension(file, ".json")}";
            var array = new JsonArray([.. operations.Select(Operation)]);
            Write(directory, name, array.ToJsonString(s_indented) + "\n");
            patches.Append($"- path: {name}\n  target:\n    kind: {target.Kind}\n    name: {target.Metadata.Name}\n");
        }
        if (patches.Length > 0) text.Append("patches:\n").Append(patches);
        text.Append(Generators(difference.ConfigMaps.ToDictionary(c => c.Key, c => c.Value)));

        if (translation.SecretKeys.Count > 0)
        {
            text.Append($"secretGenerator:\n- name: {KubernetesValues.SecretName}\n  envs:\n  - secrets.env\n");
            Write(directory, "secrets.env.example", "# Copy to secrets.env in this folder and fill in every value; never commit secrets.env.\n"
                + "# kustomize builds the Secret from it; an empty value reaches the service as an empty variable.\n"
                + string.Concat(translation.SecretKeys.Select(k => $"{k}=\n")));
        }
        if (translation.Images.Count > 0)
        {
            text.Append("images:\n");
            foreach (var (placeholder, target) in translation.Images)
            {
                var name = string.IsNullOrEmpty(target) ? placeholder : placeholder[..^(target.Length + 1)];
                text.Append($"- name: {placeholder}\n  newName: {name}\n  newTag: {(string.IsNullOrEmpty(target) ? "latest" : target)}\n");
            }
        }
        Write(directory, "kustomization.yaml", text.ToString());
    }

    /// <summary>
    /// A <c>configMapGenerator</c>: kustomize names each ConfigMap with a hash of its content and rewrites every
    /// reference, so a changed value rolls the pods that read it.
    /// </summary>
    private static string Generators(IDictionary<string, (string Behavior, SortedDictionary<string, string> Data)> configMaps)
    {
        if (configMaps.Count == 0) return "";
        var text = new StringBuilder("configMapGenerator:\n");
        foreach (var (name, (behavior, data)) in configMaps.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            text.Append($"- name: {name}\n");
            if (behavior.Length > 0) text.Append($"  behavior: {behavior}\n");
            text.Append($"  options:\n    labels:\n      {KubernetesWorkloads.NameLabel}: {name}\n  literals:\n");
            foreach (var (key, value) in data) text.Append($"  - {JsonSerializer.Serialize($"{key}={value}", s_literal)}\n");
        }
        return text.ToString();
    }

    private static JsonObject Operation(PatchOperation operation)
    {
        var node = new JsonObject { ["op"] = operation.Op, ["path"] = operation.Path };
        if (operation.Op != "remove") node["value"] = operation.Value;
        return node;
    }

    private static string Yaml(object value) => KubernetesYaml.Serialize(value).TrimEnd('\n') + "\n";

    private static string Header(string what) => $"# {what}\n# Generated by `aspire publish` (AppHost/Hosting/Kubernetes). Do not edit: re-publish.\n";

    private static string Kustomization() => "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n";

    private static string List(string key, IEnumerable<string> items) => $"{key}:\n{string.Concat(items.Select(i => $"- {i}\n"))}";

    private static void Write(string directory, string file, string content)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, file), content.ReplaceLineEndings("\n"), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}
