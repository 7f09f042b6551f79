using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>
/// An environment's compose file as an override of the base file: only what it adds or changes. Compose merges
/// an override key by key (environment, depends_on and volumes by name/target; ports and expose by appending;
/// everything else replaced) and cannot delete, so anything the base has and the environment lacks stops the
/// publish with one line.
/// </summary>
internal static class OverrideDifference
{
    public static ComposeFile Compute(ComposeFile baseFile, ComposeFile environmentFile, string baseName, string environmentName)
    {
        var result = new ComposeFile();
        foreach (var name in baseFile.Services.Keys.Where(n => !environmentFile.Services.ContainsKey(n)))
        {
            throw Deleted(environmentName, baseName, name, "the whole service");
        }
        foreach (var (name, wanted) in environmentFile.Services)
        {
            if (!baseFile.Services.TryGetValue(name, out var base_))
            {
                result.Services[name] = wanted;
                continue;
            }
            var change = Difference(base_, wanted, (what) => Deleted(environmentName, baseName, name, what));
            if (!IsEmpty(change)) result.Services[name] = change;
        }
        foreach (var (volume, definition) in environmentFile.Volumes ?? [])
        {
            if (baseFile.Volumes?.ContainsKey(volume) != true) (result.Volumes ??= new(StringComparer.Ordinal))[volume] = definition;
        }
        return result;
    }

    private static Service Difference(Service b, Service e, Func<string, Exception> deleted)
    {
        var d = new Service
        {
            Image = Scalar(b.Image, e.Image, "image", deleted),
            Entrypoint = Whole(b.Entrypoint, e.Entrypoint, "entrypoint", deleted),
            Command = Whole(b.Command, e.Command, "command", deleted),
            Healthcheck = Whole(b.Healthcheck, e.Healthcheck, "healthcheck", deleted),
            Restart = Scalar(b.Restart, e.Restart, "restart", deleted),
            StopGracePeriod = Scalar(b.StopGracePeriod, e.StopGracePeriod, "stop_grace_period", deleted),
            Logging = Whole(b.Logging, e.Logging, "logging", deleted),
            Deploy = Whole(b.Deploy, e.Deploy, "deploy", deleted),
            Expose = Appended(b.Expose, e.Expose, "expose", deleted),
            Ports = Appended(b.Ports, e.Ports, "ports", deleted),
        };
        if (b.Build is not null || e.Build is not null)
        {
            if (e.Build is null) throw deleted("build");
            var build = new Build
            {
                Context = Scalar(b.Build?.Context, e.Build.Context, "build.context", deleted),
                Dockerfile = Scalar(b.Build?.Dockerfile, e.Build.Dockerfile, "build.dockerfile", deleted),
                Target = Scalar(b.Build?.Target, e.Build.Target, "build.target", deleted),
            };
            d.Build = build.Context is null && build.Dockerfile is null && build.Target is null ? null : build;
        }
        d.Environment = Keyed(b.Environment, e.Environment, "environment", deleted);
        d.DependsOn = Keyed(b.DependsOn, e.DependsOn, "depends_on", deleted);
        var mounts = Keyed(b.Volumes?.ToDictionary(v => v.Target), e.Volumes?.ToDictionary(v => v.Target), "volumes", deleted);
        d.Volumes = mounts?.Values.ToList();
        return d;
    }

    private static T? Scalar<T>(T? b, T? e, string key, Func<string, Exception> deleted) where T : class
    {
        if (e is null) return b is null ? null : throw deleted(key);
        return Equals(b, e) ? null : e;
    }

    /// <summary>A value compose replaces as a whole (lists, healthcheck, logging, deploy).</summary>
    private static T? Whole<T>(T? b, T? e, string key, Func<string, Exception> deleted) where T : class
    {
        if (e is null) return b is null ? null : throw deleted(key);
        return b is not null && Yaml(b) == Yaml(e) ? null : e;
    }

    /// <summary>A list compose appends to: the environment may only add entries.</summary>
    private static List<T>? Appended<T>(List<T>? b, List<T>? e, string key, Func<string, Exception> deleted)
    {
        var baseItems = (b ?? []).Select(x => Yaml(x!)).ToList();
        var wanted = (e ?? []).ToList();
        if (baseItems.Any(x => !wanted.Any(w => Yaml(w!) == x))) throw deleted(key + " entries");
        var added = wanted.Where(w => !baseItems.Contains(Yaml(w!))).ToList();
        return added.Count == 0 ? null : added;
    }

    /// <summary>A mapping compose merges key by key: the environment may add and change keys, not remove them.</summary>
    private static SortedDictionary<string, T>? Keyed<T>(IDictionary<string, T>? b, IDictionary<string, T>? e, string key, Func<string, Exception> deleted)
    {
        foreach (var k in (b ?? new Dictionary<string, T>()).Keys.Where(k => e?.ContainsKey(k) != true)) throw deleted($"{key} '{k}'");
        var result = new SortedDictionary<string, T>(StringComparer.Ordinal);
        foreach (var (k, v) in e ?? new Dictionary<string, T>())
        {
            if (b is null || !b.TryGetValue(k, out var old) || Yaml(old!) != Yaml(v!)) result[k] = v;
        }
        return result.Count == 0 ? null : result;
    }

    private static bool IsEmpty(Service s) => ComposeFile.Serialize(s).Trim() is "{}" or "";

    private static string Yaml(object value) => value is string s ? s : ComposeFile.Serialize(value);

    private static PublishException Deleted(string environmentName, string baseName, string service, string what)
        => new($"{environmentName}: service {service} would need {what} of {baseName} deleted, which a compose override cannot do; " +
               $"give {service} the same {what} in {environmentName}, or move it out of {baseName}.");
}
