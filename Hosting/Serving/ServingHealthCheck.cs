using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// A service's <c>/health</c> read three ways, as the services answer it: 200 with <c>"status": "degraded"</c> is
/// <see cref="HealthStatus.Degraded"/> (it serves without a dependency it can do without), any other 200 is
/// <see cref="HealthStatus.Healthy"/>, anything else (or no answer) <see cref="HealthStatus.Unhealthy"/>.
/// </summary>
internal sealed class ServingHealthCheck(Func<Uri> target) : IHealthCheck
{
    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var uri = target();
        try
        {
            using var response = await s_client.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return HealthCheckResult.Unhealthy($"{uri} answered {(int)response.StatusCode}");
            }
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return StatusOf(body) == "degraded"
                ? HealthCheckResult.Degraded($"{uri} serves degraded: {body}")
                : HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{uri}: {ex.Message}");
        }
    }

    private static string? StatusOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("status", out var status)
                ? status.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
