using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ichrisbirch.AppHost;

/// <summary>The api caches query results in Redis; after a database restore they describe rows that may be gone.</summary>
internal static class CacheAfterRestore
{
    /// <summary>Empties the Redis cache (FLUSHDB with redis-cli; the password in REDISCLI_AUTH) after every database restore.</summary>
    public static void FlushCacheAfterDatabaseRestore(this IDistributedApplicationBuilder builder, EndpointReference redis, IResourceBuilder<ParameterResource> password)
    {
        builder.Eventing.Subscribe<DatabaseRestoredEvent>(async (e, ct) =>
        {
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(e.Resource);
            var start = new ProcessStartInfo("redis-cli", ["-h", redis.Host, "-p", redis.Port.ToString(CultureInfo.InvariantCulture), "FLUSHDB"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["REDISCLI_AUTH"] = await password.Resource.GetValueAsync(ct).ConfigureAwait(false) ?? "" },
            };
            string reply;
            try
            {
                using var process = Process.Start(start)!;
                reply = (await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false)).Trim() + (await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false)).Trim();
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                reply = $"redis-cli: {ex.Message}";
            }
            if (reply == "OK") logger.LogInformation("Emptied the Redis cache after restoring {Database}", e.Database);
            else logger.LogWarning("Could not empty the Redis cache after restoring {Database} ({Reply}): cached lists may be up to 5 minutes old.", e.Database, reply);
        });
    }
}
