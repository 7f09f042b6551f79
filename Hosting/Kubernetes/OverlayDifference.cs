using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>One JSON patch (RFC 6902) operation of an overlay.</summary>
internal sealed record PatchOperation(string Op, string Path, JsonNode? Value);

/// <summary>
/// An overlay as the difference between its environment's objects and the base's: objects only the environment
/// has, objects it lacks (deleted), JSON patches down to the first differing field (lists of different
/// length are replaced whole), and the generated ConfigMaps it creates or replaces.
/// </summary>
internal sealed record OverlayDifference(
    SortedDictionary<string, IKubernetesObject<V1ObjectMeta>> Added,
    SortedDictionary<string, IKubernetesObject<V1ObjectMeta>> Deleted,
    SortedDictionary<string, (IKubernetesObject<V1ObjectMeta> Target, List<PatchOperation> Operations)> Patched,
    SortedDictionary<string, (string Behavior, SortedDictionary<string, string> Data)> ConfigMaps)
{
    public static OverlayDifference Compute(KubernetesTranslation baseline, KubernetesTranslation environment)
    {
        var added = new SortedDictionary<string, IKubernetesObject<V1ObjectMeta>>(StringComparer.Ordinal);
        var deleted = new SortedDictionary<string, IKubernetesObject<V1ObjectMeta>>(StringComparer.Ordinal);
        var patched = new SortedDictionary<string, (IKubernetesObject<V1ObjectMeta>, List<PatchOperation>)>(StringComparer.Ordinal);
        foreach (var (file, value) in environment.Objects)
        {
            if (!baseline.Objects.TryGetValue(file, out var original))
            {
                added[file] = value;
                continue;
            }
            var operations = new List<PatchOperation>();
            Diff(Json(original), Json(value), "", operations);
            if (operations.Count > 0) patched[file] = (value, operations);
        }
        foreach (var (file, value) in baseline.Objects.Where(o => !environment.Objects.ContainsKey(o.Key))) deleted[file] = value;

        // A generated ConfigMap is created or replaced whole by the overlay's generator, so its hash follows its content.
        var configMaps = new SortedDictionary<string, (string, SortedDictionary<string, string>)>(StringComparer.Ordinal);
        foreach (var (name, data) in environment.ConfigMaps)
        {
            if (!baseline.ConfigMaps.TryGetValue(name, out var original)) configMaps[name] = ("create", data);
            else if (!original.SequenceEqual(data)) configMaps[name] = ("replace", data);
        }
        foreach (var name in baseline.ConfigMaps.Keys.Where(n => !environment.ConfigMaps.ContainsKey(n)))
        {
            deleted[$"{name}-configmap.yaml"] = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = name } };
        }
        return new(added, deleted, patched, configMaps);
    }

    public static JsonNode Json(object value) => JsonNode.Parse(KubernetesJson.Serialize(value))!;

    private static void Diff(JsonNode? from, JsonNode? to, string path, List<PatchOperation> operations)
    {
        if (JsonNode.DeepEquals(from, to)) return;
        if (from is JsonObject a && to is JsonObject b)
        {
            foreach (var (key, value) in b.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var child = $"{path}/{Escape(key)}";
                if (a.TryGetPropertyValue(key, out var old)) Diff(old, value, child, operations);
                else operations.Add(new("add", child, value?.DeepClone()));
            }
            foreach (var key in a.Select(p => p.Key).Where(k => !b.ContainsKey(k)).Order(StringComparer.Ordinal))
            {
                operations.Add(new("remove", $"{path}/{Escape(key)}", null));
            }
            return;
        }
        if (from is JsonArray x && to is JsonArray y && x.Count == y.Count)
        {
            for (var i = 0; i < x.Count; i++) Diff(x[i], y[i], $"{path}/{i}", operations);
            return;
        }
        operations.Add(new("replace", path, to?.DeepClone()));
    }

    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
