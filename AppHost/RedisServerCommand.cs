using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>How the Redis container starts: the image's own entrypoint, a bounded cache, the password kept off redis-cli's command line.</summary>
internal static class RedisServerCommand
{
    /// <summary>The share of the container's memory limit Redis may fill before it evicts (the rest: its own overhead, forks for snapshots).</summary>
    private const double RedisMaxMemoryShare = 0.75;

    /// <summary>
    /// Replaces AddRedis' <c>/bin/sh -c "redis-server …"</c> by <c>redis-server …</c> under the image's entrypoint,
    /// which drops to the image's non-root <c>redis</c> user when the command is <c>redis-server</c>; the password
    /// is the parameter itself (compose interpolates it from .env). <c>maxmemory</c> is a share of the resource
    /// limit (read when the command is built, so Program.cs' WithResourceLimits counts), evicting least recently used
    /// keys: Redis holds only the api's cache. REDISCLI_AUTH authenticates every <c>redis-cli</c> in the container
    /// (health check, FLUSHDB) without <c>-a</c> on a command line.
    /// </summary>
    public static IResourceBuilder<RedisResource> WithRedisServerCommand(this IResourceBuilder<RedisResource> builder,
        IResourceBuilder<ParameterResource> password, bool persistent)
    {
        builder.Resource.Entrypoint = null;
        foreach (var upstream in builder.Resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>().ToList())
        {
            builder.Resource.Annotations.Remove(upstream);
        }
        return builder
            .WithEnvironment("REDISCLI_AUTH", password)
            .WithArgs(context =>
            {
                List<object> args = ["redis-server", "--requirepass", password.Resource];
                if (persistent) args.AddRange(["--save", "60", "1"]);
                if (builder.Resource.Annotations.OfType<ResourceLimitsAnnotation>().LastOrDefault() is { } limits)
                {
                    var megabytes = (int)(limits.MemoryMiB * RedisMaxMemoryShare);
                    args.AddRange(["--maxmemory", megabytes.ToString(CultureInfo.InvariantCulture) + "mb", "--maxmemory-policy", "allkeys-lru"]);
                }
                foreach (var arg in args) context.Args.Add(arg);
            });
    }
}
