using Ichrisbirch.AppHost;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>
/// Aspire takes the <c>dcp info</c> answer the AppHost asked for ahead, and only one asked as Aspire asks (see
/// <see cref="DcpInfoAhead"/>). Each test hands answers to a check of its own, made as Aspire makes its singleton:
/// nothing else in the test host can have asked it.
/// </summary>
public class DcpInfoAheadTests
{
    [Fact]
    public async Task Aspire_still_has_the_dcp_info_check_the_apphost_answers_ahead()
    {
        await using var app = await BuildAsync();
        Assert.True(DcpInfoAhead.DependencyCheck.Of(app.Services) is not null,
            "Aspire.Hosting.Dcp.DcpDependencyCheck (its _lock, _dcpInfo, _checkDone, EnsureDcpVersion or DcpOptions) changed: DCP starts after `dcp info` again; find the new check.");
    }

    [Fact]
    public async Task The_early_answer_is_the_one_aspire_uses()
    {
        await using var app = await BuildAsync();
        var answer = await AskAsync(app);
        // The real answer with a host name no DCP gives: Aspire's check returns exactly this, so it did not ask again.
        var marked = new DcpInfoAhead.Answer(answer.CliPath, answer.ContainerRuntime, 0, Mark(answer.Output));
        var check = FreshCheck(app.Services);

        Assert.True(await DcpInfoAhead.HandOverAsync(DcpInfoAhead.DependencyCheck.Of(check), Task.FromResult<DcpInfoAhead.Answer?>(marked), CancellationToken.None));
        Assert.Equal("early.host.docker.internal", await HostNameAspireSees(check));
    }

    [Fact]
    public async Task An_answer_asked_with_another_container_runtime_is_not_handed_over()
    {
        await using var app = await BuildAsync();
        var answer = await AskAsync(app);
        var otherRuntime = new DcpInfoAhead.Answer(answer.CliPath, "podman", 0, Mark(answer.Output));
        var check = FreshCheck(app.Services);

        Assert.False(await DcpInfoAhead.HandOverAsync(DcpInfoAhead.DependencyCheck.Of(check), Task.FromResult<DcpInfoAhead.Answer?>(otherRuntime), CancellationToken.None));
        Assert.Equal("host.docker.internal", await HostNameAspireSees(check)); // Aspire asked DCP itself
    }

    [Fact]
    public async Task An_answer_from_another_dcp_a_failed_unreadable_or_too_old_one_or_none_leaves_the_question_to_aspire()
    {
        await using var app = await BuildAsync();
        var answer = await AskAsync(app);

        var otherPath = new DcpInfoAhead.Answer(answer.CliPath + ".other", answer.ContainerRuntime, 0, Mark(answer.Output));
        var exited = new DcpInfoAhead.Answer(answer.CliPath, answer.ContainerRuntime, 1, Mark(answer.Output));
        var unreadable = new DcpInfoAhead.Answer(answer.CliPath, answer.ContainerRuntime, 0, "not json");
        var tooOld = new DcpInfoAhead.Answer(answer.CliPath, answer.ContainerRuntime, 0,
            System.Text.RegularExpressions.Regex.Replace(Mark(answer.Output), "\"version\":\"[^\"]*\"", "\"version\":\"0.0.1\""));
        Assert.Contains("\"version\":\"0.0.1\"", tooOld.Output, StringComparison.Ordinal);
        foreach (var failed in new[] { otherPath, exited, unreadable, tooOld, null })
        {
            var check = FreshCheck(app.Services);
            Assert.False(await DcpInfoAhead.HandOverAsync(DcpInfoAhead.DependencyCheck.Of(check), Task.FromResult(failed), CancellationToken.None));
            Assert.Equal("host.docker.internal", await HostNameAspireSees(check));
        }
    }

    private static async Task<DistributedApplication> BuildAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--environment", "Testing", "--Ichrisbirch:Infrastructure=Local"]);
        return await builder.BuildAsync();
    }

    /// <summary>The early question, as the AppHost asks it from its configuration.</summary>
    private static async Task<DcpInfoAhead.Answer> AskAsync(DistributedApplication app)
    {
        var early = DcpInfoAhead.Ask(app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>());
        Assert.NotNull(early);
        var answer = await early;
        Assert.NotNull(answer);
        Assert.Equal(0, answer.ExitCode);
        Assert.Contains("\"hostName\":\"host.docker.internal\"", answer.Output, StringComparison.Ordinal);
        return answer;
    }

    private static string Mark(string output) => output.Replace("\"hostName\":\"", "\"hostName\":\"early.", StringComparison.Ordinal);

    /// <summary>A new Aspire dependency check with the app's DCP options, as Aspire's container makes its singleton.</summary>
    private static object FreshCheck(IServiceProvider services)
    {
        var type = typeof(DistributedApplication).Assembly.GetType("Aspire.Hosting.Dcp.DcpDependencyCheck")!;
        return ActivatorUtilities.CreateInstance(services, type);
    }

    /// <summary>The container host name in the DCP info <paramref name="check"/> returns to Aspire.</summary>
    private static async Task<string> HostNameAspireSees(object check)
    {
        var ask = typeof(DistributedApplication).Assembly.GetType("Aspire.Hosting.Dcp.IDcpDependencyCheckService")!.GetMethod("GetDcpInfoAsync")!;
        var task = (Task)ask.Invoke(check, [false, CancellationToken.None])!;
        await task;
        var info = task.GetType().GetProperty("Result")!.GetValue(task)!;
        var containers = info.GetType().GetProperty("Containers")!.GetValue(info)!;
        return (string)containers.GetType().GetProperty("HostName")!.GetValue(containers)!;
    }
}
