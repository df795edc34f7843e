# parsers
