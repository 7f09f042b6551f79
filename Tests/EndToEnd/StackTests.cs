using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>One running stack (Testing, Local mode, no test-runner) shared by the tests of the collection.</summary>
public sealed class RunningStack : IAsyncLifetime
{
    public Stack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false", "--Ichrisbirch:SchedulerIntervalSeconds=1");
        await Stack.WaitHealthyAsync(Stack.Services);
    }

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

[CollectionDefinition("stack")]
public sealed class StackCollection : ICollectionFixture<RunningStack>;

[Collection("stack")]
public class StackTests(RunningStack running)
{
    private const string ApiKey = "testing-api-secret-key"; // Parameters:api-secret-key in appsettings.Testing.json
    private const string AdminPassword = "testing-admin-password"; // Parameters:app-admin-password in appsettings.Testing.json
    private Stack Stack => running.Stack;

    private HttpClient Api()
    {
        var client = Stack.Client("api");
        client.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        return client;
    }

    [Fact]
    public void All_five_resources_are_healthy()
    {
        foreach (var name in Stack.Services)
        {
            Assert.True(Stack.Notifications.TryGetCurrentState(name, out var e), name);
            Assert.Equal(KnownResourceStates.Running, e.Snapshot.State?.Text);
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, e.Snapshot.HealthStatus);
        }
    }

    [Fact]
    public async Task The_database_shows_running_under_postgres_once_it_exists()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Stack.Notifications.WaitForResourceAsync("postgres-db", KnownResourceStates.Running, cts.Token);
        Assert.True(Stack.Notifications.TryGetCurrentState("postgres-db", out var e));
        Assert.NotNull(e.Snapshot.StartTimeStamp);
    }

    [Fact]
    public async Task Api_health_checks_postgres_and_redis_for_real()
    {
        var health = await Stack.Client("api").GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("ok", health.GetProperty("postgres").GetString());
        Assert.Equal("ok", health.GetProperty("redis").GetString());
    }

    [Fact]
    public async Task Habit_created_through_api_is_returned_by_api_and_shown_on_app_page()
    {
        var name = $"Stretch {Guid.NewGuid():N}";
        using var created = await Api().PostAsJsonAsync("/habits/", new { name, category = "health" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        var fetched = await Api().GetFromJsonAsync<JsonElement>($"/habits/{id}/");
        Assert.Equal(name, fetched.GetProperty("name").GetString());

        var page = await Stack.Client("app").GetStringAsync("/habits/");
        Assert.Contains(name, page);
    }

    [Fact]
    public async Task Habit_added_with_the_apps_form_after_signing_in_is_stored_and_anonymous_form_posts_write_nothing()
    {
        using var browser = Browser();
        var intruder = $"Intruder {Guid.NewGuid():N}";
        using (var anonymous = await PostFormAsync(browser, "/habits/", new() { ["name"] = intruder, ["category"] = "spam" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, anonymous.StatusCode); // no session, no CSRF token
        }
        using (var anonymous = await PostFormAsync(browser, "/habits/", new() { ["csrf_token"] = await FormTokenAsync(browser, "/login"), ["name"] = intruder, ["category"] = "spam" }))
        {
            Assert.Equal(HttpStatusCode.SeeOther, anonymous.StatusCode);
            Assert.StartsWith("/login", anonymous.Headers.Location?.OriginalString);
        }

        using (var signIn = await PostFormAsync(browser, "/login", new() { ["csrf_token"] = await FormTokenAsync(browser, "/login"), ["password"] = AdminPassword }))
        {
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        }
        var name = $"Journal {Guid.NewGuid():N}";
        using (var created = await PostFormAsync(browser, "/habits/", new() { ["csrf_token"] = await FormTokenAsync(browser, "/habits/"), ["name"] = name, ["category"] = "mind" }))
        {
            Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        }

        var stored = (await Api().GetFromJsonAsync<JsonElement>("/habits/")).EnumerateArray().Select(h => h.GetProperty("name").GetString()).ToList();
        Assert.Contains(name, stored);
        Assert.DoesNotContain(intruder, stored);
    }

    /// <summary>A client of the app that keeps its cookies and shows redirects instead of following them.</summary>
    private HttpClient Browser()
        => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(Stack.App.GetEndpoint("app", "http").ToString()),
        };

    private static async Task<string> FormTokenAsync(HttpClient browser, string path)
    {
        var page = await browser.GetStringAsync(path);
        return System.Text.RegularExpressions.Regex.Match(page, "name=\"csrf_token\" value=\"([^\"]+)\"").Groups[1].Value;
    }

    private static Task<HttpResponseMessage> PostFormAsync(HttpClient browser, string path, Dictionary<string, string> form)
        => browser.PostAsync(path, new FormUrlEncodedContent(form));

    [Fact]
    public async Task Habits_list_cache_goes_miss_then_hit_then_miss_after_a_write()
    {
        var api = Api();
        // A write first, so the list is not cached whatever ran before.
        using (var w = await api.PostAsJsonAsync("/habits/", new { name = $"Read {Guid.NewGuid():N}", category = "mind" })) w.EnsureSuccessStatusCode();

        Assert.Equal("miss", await CacheHeaderAsync(api));
        Assert.Equal("hit", await CacheHeaderAsync(api));
        using (var w = await api.PostAsJsonAsync("/habits/", new { name = $"Walk {Guid.NewGuid():N}", category = "health" })) w.EnsureSuccessStatusCode();
        Assert.Equal("miss", await CacheHeaderAsync(api));

        static async Task<string?> CacheHeaderAsync(HttpClient client)
        {
            using var response = await client.GetAsync("/habits/");
            response.EnsureSuccessStatusCode();
            return response.Headers.TryGetValues("X-Cache", out var v) ? v.Single() : null;
        }
    }

    [Fact]
    public async Task Scheduler_lowers_the_priority_of_an_incomplete_task()
    {
        var api = Api();
        using var created = await api.PostAsJsonAsync("/tasks/", new { name = $"Taxes {Guid.NewGuid():N}", priority = 50 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        // The job runs every second (SchedulerIntervalSeconds=1): poll until it has run at least twice.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int priority;
        do
        {
            await Task.Delay(250, cts.Token);
            priority = (await api.GetFromJsonAsync<JsonElement>($"/tasks/{id}/", cts.Token)).GetProperty("priority").GetInt32();
        }
        while (priority > 48);
        Assert.InRange(priority, 1, 48);
    }

    [Fact]
    public async Task Scheduler_liveness_endpoint_reports_running()
    {
        var health = await Stack.Client("scheduler").GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Postgres_holds_the_testing_database_in_memory()
    {
        var connectionString = await Stack.App.GetConnectionStringAsync("postgres");
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "ichrisbirch_test", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW data_directory", connection);
        var dataDirectory = (string)(await command.ExecuteScalarAsync())!;
        Assert.StartsWith("/dev/shm/", dataDirectory);
    }
}
