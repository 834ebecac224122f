#!/usr/bin/env python3
"""Writes the bundled sample feeds (fictional-but-typical NBA wire items) used by the offline
run and the tests. Dates are fixed so test expectations never drift."""
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

BASE = datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)

WIRE = [
    ("Trail Blazers trade veteran guard to Heat for two second-round picks", "Portland sends its backup point guard to Miami in exchange for two future second-round picks, league sources said."),
    ("Hornets sign forward to two-way contract", "Charlotte has signed an undrafted rookie forward to a two-way contract, the team announced."),
    ("Knicks guard out two weeks with ankle sprain", "The guard suffered a sprain in the third quarter and will be re-evaluated in two weeks."),
    ("Pistons acquire center in three-team deal with Jazz, Kings", "Detroit acquires a starting center while Utah and Sacramento swap draft picks."),
    ("Spurs exercise fourth-year team option on wing", "San Antonio picked up the rookie-scale team option for the 2027-28 season."),
    ("Celtics beat Bucks 118-104 behind 38 points from star forward", "Boston won its fifth straight game."),
    ("Mavericks waive guard to open roster spot", "Dallas waived the veteran guard before his contract became guaranteed."),
    ("Raptors hire former coach as assistant", "Toronto adds an experienced assistant coach to its staff."),
    ("Report: Lakers exploring trade market for sharpshooter", "Los Angeles has engaged several teams in trade talks ahead of the deadline."),
    ("Nuggets agree to four-year, $120 million extension with forward", "Denver locks up its starting forward through 2031."),
    ("Warriors convert two-way guard to standard contract", "Golden State converted the guard's deal to a standard NBA contract."),
    ("Thunder star named Western Conference Player of the Week", "He averaged 34 points over four games."),
    ("Suns, Hawks complete trade sending wing to Atlanta", "Phoenix receives a protected first-round pick and cash considerations."),
    ("Bulls sign veteran center to 10-day contract", "Chicago adds size after injuries in the frontcourt."),
    ("Kings rookie undergoes successful knee surgery", "The rookie is expected to miss six to eight weeks."),
    ("Grizzlies reach buyout agreement with veteran forward", "The forward will become a free agent once he clears waivers."),
]

ESPN = [
    ("Blockbuster: Nets trade All-Star forward to Clippers for package of picks", "Brooklyn receives three unprotected first-round picks and two pick swaps."),
    ("Magic re-sign center on three-year deal", "Orlando re-signed its starting center to a three-year, $45 million contract."),
    ("Power Rankings: Who is the best team in the East?", "A look at all 30 teams after the first month."),
    ("Jazz claim guard off waivers", "Utah claimed the guard off waivers from Memphis."),
    ("Timberwolves edge Pelicans in overtime thriller", "Minnesota rallied from 15 down to win in overtime."),
    ("Sources: Bucks have interest in trading for Wizards guard", "Milwaukee has discussed a package built around two young players."),
    ("Cavaliers guard signs five-year max extension", "The guard agreed to a five-year max contract extension worth $250 million."),
    ("League announces schedule for in-season tournament knockout rounds", "Quarterfinals begin on Dec. 9."),
    ("Pacers, Pelicans swap reserve guards in four-player trade", "Indiana and New Orleans exchanged two players each."),
    ("Rockets decline option on veteran forward", "Houston declined the player's team option, making him a free agent."),
    ("Heat star sidelined with hamstring strain", "He will miss at least a week."),
    ("76ers release guard, sign forward to training camp deal", "Philadelphia released the guard and signed a forward to an Exhibit 10 contract."),
]

def rss(title, link, items, guid_prefix, step_minutes, start_offset):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
           '<channel>',
           f'<title>{escape(title)}</title>', f'<link>{link}</link>',
           '<description>Sample feed bundled with NBA Trade Tracker for offline runs.</description>']
    for n, (headline, summary) in enumerate(items):
        when = BASE - timedelta(minutes=start_offset + n * step_minutes)
        out += ['<item>',
                f'<title>{escape(headline)}</title>',
                f'<link>{link}story/{guid_prefix}-{n + 1}</link>',
                f'<guid isPermaLink="false">{guid_prefix}-{n + 1}</guid>',
                f'<description>{escape(summary)}</description>',
                f'<pubDate>{format_datetime(when)}</pubDate>',
                '</item>']
    out += ['</channel>', '</rss>', '']
    return "\n".join(out)

with open("feeds/realgm-wiretap.xml", "w", encoding="utf-8") as f:
    f.write(rss("Sample Wiretap", "https://wiretap.example.com/", WIRE, "wire", 37, 0))
with open("feeds/espn-nba.xml", "w", encoding="utf-8") as f:
    f.write(rss("Sample NBA News", "https://nba-news.example.com/", ESPN, "news", 53, 11))
