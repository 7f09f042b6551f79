using System.Net;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ichrisbirch.Tests.Hosting.Serving;

/// <summary>The three-state health check over real HTTP, and the serving wait in the model.</summary>
public class ServingTests
{
    [Theory]
    [InlineData(200, "{\"status\":\"healthy\",\"redis\":\"ok\"}", HealthStatus.Healthy)]
    [InlineData(200, "{\"status\":\"degraded\",\"redis\":\"error: ConnectionError\"}", HealthStatus.Degraded)]
    [InlineData(200, "OK", HealthStatus.Healthy)]
    [InlineData(503, "{\"status\":\"unhealthy\"}", HealthStatus.Unhealthy)]
    public async Task A_200_saying_degraded_is_Degraded_another_200_Healthy_anything_else_Unhealthy(int status, string body, HealthStatus expected)
    {
        using var listener = new HttpListener();
        var port = LocalServerEndpoint.FreeLoopbackPort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var answer = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            context.Response.StatusCode = status;
            var bytes = Encoding.UTF8.GetBytes(body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        });

        var check = new ServingHealthCheck(() => new Uri($"http://127.0.0.1:{port}/health"));
        var result = await check.CheckHealthAsync(new HealthCheckContext());
        await answer;

        Assert.Equal(expected, result.Status);
    }

    [Fact]
    public async Task No_answer_is_Unhealthy()
    {
        var port = LocalServerEndpoint.FreeLoopbackPort();
        var result = await new ServingHealthCheck(() => new Uri($"http://127.0.0.1:{port}/health")).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
    }

    [Fact]
    public void WaitForServing_adds_the_serving_wait_and_no_WaitFor_which_would_hold_on_Degraded()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
        var api = builder.AddExecutable("api", "true", ".").WithHttpEndpoint(name: "http");
        var app = builder.AddExecutable("app", "true", ".").WaitForServing(api);

        Assert.Same(api.Resource, Assert.Single(app.Resource.Annotations.OfType<ServingWaitAnnotation>()).Resource);
        Assert.Empty(app.Resource.Annotations.OfType<WaitAnnotation>());
        Assert.Equal([(api.Resource, WaitType.WaitUntilHealthy)], PublishedWaits.Of(app.Resource)); // published: the probe passes when degraded
    }
}
