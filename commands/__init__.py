"""Grammar data: the command trees and configuration schemas of each platform."""
