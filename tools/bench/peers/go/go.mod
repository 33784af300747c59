module onelinepeer

go 1.21
