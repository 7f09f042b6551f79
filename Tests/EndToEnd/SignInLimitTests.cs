using System.Net;
using System.Text.RegularExpressions;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>Sign-in attempts are limited per client address; in run mode no proxy is trusted, so X-Forwarded-For changes nothing.</summary>
public partial class SignInLimitTests
{
    private const int Limit = 10; // services/ichrisbirch/api/sign_in.py SIGN_IN_LIMIT

    [Fact]
    public async Task The_eleventh_sign_in_from_one_address_is_refused_with_429_and_Retry_After_whatever_X_Forwarded_For_says()
    {
        await using var stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false");
        await stack.WaitHealthyAsync(["api", "app"]);
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = stack.App.GetEndpoint("app", "http") };

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i <= Limit; i++)
        {
            var token = CsrfToken().Match(await browser.GetStringAsync("/login")).Groups[1].Value;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/login")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["csrf_token"] = token, ["password"] = "wrong" }),
            };
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i}"); // rotated: not believed without a trusted proxy
            last?.Dispose();
            last = await browser.SendAsync(request);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, Limit), (HttpStatusCode)429], statuses);
        Assert.InRange(last!.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 600);
        Assert.Contains("Too many sign-in attempts from your address.", await last.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        last.Dispose();
    }

    [GeneratedRegex("name=\"csrf_token\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfToken();
}
