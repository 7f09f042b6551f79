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
        var command = new CommandLineArgsCallbackAnnotation(context =>
        {
            // Run mode: Aspire hands the arguments to the container as one "/bin/sh -c" string, so the shell execs the
            // image's entrypoint (which drops to the redis user) and expands the password from the environment.
            List<object> args = context.ExecutionContext.IsRunMode
                ? ["exec", "docker-entrypoint.sh", "redis-server", "--requirepass", "\"$REDIS_PASSWORD\""]
                : ["redis-server", "--requirepass", password.Resource];
            if (persistent) args.AddRange(["--save", "60", "1"]);
            if (builder.Resource.Annotations.OfType<ResourceLimitsAnnotation>().LastOrDefault() is { } limits)
            {
                var megabytes = (int)(limits.MemoryMiB * RedisMaxMemoryShare);
                args.AddRange(["--maxmemory", megabytes.ToString(CultureInfo.InvariantCulture) + "mb", "--maxmemory-policy", "allkeys-lru"]);
            }
            foreach (var arg in args) context.Args.Add(arg);
            return Task.CompletedTask;
        });
        KeepOnlyOurCommand(builder.Resource, command, builder.ApplicationBuilder.ExecutionContext.IsRunMode);
        // Again just before the container is created, in case AddRedis added its own when the application started.
        builder.OnBeforeResourceStarted((redis, _, _) =>
        {
            KeepOnlyOurCommand(redis, command, runMode: true);
            return Task.CompletedTask;
        });
        return builder.WithEnvironment("REDISCLI_AUTH", password);
    }

    private static void KeepOnlyOurCommand(RedisResource redis, CommandLineArgsCallbackAnnotation command, bool runMode)
    {
        redis.Entrypoint = runMode ? "/bin/sh" : null;
        // AddRedis' own command, and its TLS callbacks, which in run mode rewrite the arguments into one "-c" string
        // for its /bin/sh entrypoint (this Redis speaks plain TCP on the container network, as compose runs it).
#pragma warning disable ASPIRECERTIFICATES001 // the types are only matched to be removed
        var upstream = redis.Annotations.Where(a => a is CommandLineArgsCallbackAnnotation && !ReferenceEquals(a, command)
            || a is CertificateTrustConfigurationCallbackAnnotation or HttpsCertificateConfigurationCallbackAnnotation).ToList();
#pragma warning restore ASPIRECERTIFICATES001
        foreach (var other in upstream) redis.Annotations.Remove(other);
        if (!redis.Annotations.Contains(command)) redis.Annotations.Add(command);
    }
}
